//! `/api/v1/count/{storage}/where` (`lib/api/entries/index.js` `count_records`): a `$group`
//! count. Unlike Nightscout, the default window uses the collection's own date field, so a
//! query without a date constraint counts the last 4 days instead of nothing.

use crate::api::json::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use serde_json::{Value, json};

use super::list;
use crate::api::permit::{Allowed, EntriesRead};
use crate::app::AppState;
use crate::domain::Collection;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new().route("/count/{storage}/where", get(count_where))
}

async fn count_where(
    State(state): State<AppState>,
    _: Allowed<EntriesRead>,
    Path(storage): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let coll = Collection::parse(&storage)
        .ok_or_else(|| ApiError::bad_request("Unknown storage", format!("no collection named {storage:?}")))?;
    let filter = list::find_filter(&state, coll, &list::params(raw.as_deref()))?;
    let n = state.store.count(coll, &filter).await?;
    Ok(Json(if n == 0 { json!([]) } else { json!([{"_id": null, "count": n}]) }))
}
