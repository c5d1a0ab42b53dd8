//! `/api/v1`: Nightscout's REST API v1 (`lib/api/index.js`).

use axum::Router;

use crate::app::AppState;

mod activity;
mod count;
mod devicestatus;
mod entries;
mod food;
mod list;
mod profile;
pub(crate) mod status;
mod times;
mod treatments;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(entries::router())
        .merge(status::router())
        .merge(count::router())
        .merge(treatments::router())
        .merge(devicestatus::router())
        .merge(profile::router())
        .merge(food::router())
        .merge(activity::router())
        .merge(times::router())
}
