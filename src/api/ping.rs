//! `ping`: the server's clock, for clients measuring latency.

use actix_web::HttpResponse;

pub async fn ping() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "pong": chrono::Utc::now().timestamp_millis() }))
}
