//! `/api/v1`: Nightscout's REST API v1 (`lib/api/index.js`).

use axum::Router;

use crate::app::AppState;

mod count;
mod entries;
mod list;
pub(crate) mod status;

pub fn router() -> Router<AppState> {
    Router::new().merge(entries::router()).merge(status::router()).merge(count::router())
}
