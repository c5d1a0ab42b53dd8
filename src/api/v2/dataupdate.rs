//! `GET /api/v2/dataupdate` (a Ferroscout addition): the socket's full `dataUpdate`
//! (`ddata.dataWithRecentStatuses`, spec 5.2) over REST, so a dashboard can fetch its history
//! gzip-compressed and keep its websocket for deltas (`authorize` with `fullData: false`). A
//! websocket that once carried a full payload keeps a write buffer of that size for its life;
//! one that carries only deltas stays small. Nightscout clients still get the full payload on
//! the socket, as Nightscout sends it.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::api::json::Json;
use crate::api::permit::{Allowed, DataUpdateRead};
use crate::app::AppState;

/// As long as the socket's `authorize` waits for the engine to reflect confirmed writes.
const CATCH_UP: Duration = Duration::from_secs(10);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v2/dataupdate", get(full))
}

/// The snapshot as a socket `authorize` gets it, once every write confirmed before the request is
/// in it: a dashboard that joined the socket's receivers first and then fetched this misses nothing.
async fn full(State(state): State<AppState>, _: Allowed<DataUpdateRead>) -> Response {
    state.engine.caught_up(CATCH_UP).await;
    let snap = state.engine.snapshot();
    Json(snap.full()).into_response()
}
