//! `/livez` (the process answers) and `/readyz` (it can serve: dependencies up, schema current).

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let h = &state.health;
    let body = |status: &str| {
        json!({
            "status": status,
            "postgres": if h.postgres_up() { "up" } else { "down" },
            "redis": if h.redis_up() { "up" } else { "down" },
        })
    };
    match h.ready() {
        Ok(()) => HttpResponse::Ok().json(body("ready")),
        Err(reason) => HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(body(&reason.to_string())),
    }
}
