//! `/api/v2` routes of its own (the rest of `/api/v2` re-mounts v1).

use axum::Router;

use crate::app::AppState;

mod authorization;
mod dataupdate;
mod ddata;
mod properties;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(properties::router())
        .merge(authorization::router())
        .merge(dataupdate::router())
        .merge(ddata::router())
}
