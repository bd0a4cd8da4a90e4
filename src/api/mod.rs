//! Misskey's client API: `POST /api/<endpoint>` (and GET where Misskey allows it). Handlers are
//! thin; every error leaves through [`ApiError`].

pub mod error;
pub mod meta;
pub mod params;
mod ping;

pub use error::ApiError;

use crate::http::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpResponse};

/// Answers 503 in Misskey's format while the server is not ready (dependency down, migrating).
async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().expect("state registered");
    if let Err(reason) = state.health.ready() {
        let res = actix_web::ResponseError::error_response(&ApiError::unavailable(&reason.to_string()));
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

async fn unknown() -> Result<HttpResponse, ApiError> {
    Err(ApiError::unknown_endpoint())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .wrap(from_fn(gate))
            .route("/meta", web::post().to(meta::post))
            .route("/meta", web::get().to(meta::get))
            .route("/ping", web::post().to(ping::ping))
            .default_service(web::to(unknown)),
    );
}
