//! Prometheus metrics (opt-in): requests by route and status, latency histogram, dependency and
//! pool state. Served on a separate listener, by default on localhost only.

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::Arc;
use std::time::Instant;

/// Records one request. Cheap no-op when no recorder is installed.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let t0 = Instant::now();
    let res = next.call(req).await?;
    let mut route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    if route.starts_with("/api/{endpoint") {
        // One series per declared endpoint; unknown names share one, so clients cannot grow them.
        let name = res.request().match_info().query("endpoint").trim_end_matches('/');
        route = match crate::api::registry().get_key_value(name) {
            Some((n, _)) => format!("/api/{n}"),
            None => "/api/unknown".into(),
        };
    }
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route).record(t0.elapsed().as_secs_f64());
    Ok(res)
}

async fn render(req: HttpRequest, data: web::Data<(PrometheusHandle, Arc<AppState>)>) -> HttpResponse {
    let (handle, state) = data.get_ref();
    let token = &state.config.metrics.token;
    if !token.is_empty() {
        let given = req.headers().get("authorization").and_then(|v| v.to_str().ok());
        // Compared in constant time: how long a wrong token takes tells nothing of the right one.
        let want = format!("Bearer {token}");
        let given = given.unwrap_or("").as_bytes();
        let same = given.len() == want.len()
            && given.iter().zip(want.as_bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if !same {
            return HttpResponse::Unauthorized().finish();
        }
    }
    let st = state.db.status();
    metrics::gauge!("db_pool_connections").set(st.size as f64);
    metrics::gauge!("db_pool_available").set(st.available as f64);
    metrics::gauge!("db_pool_waiting").set(st.waiting as f64);
    metrics::gauge!("postgres_up").set(if state.health.postgres_up() { 1.0 } else { 0.0 });
    metrics::gauge!("redis_up").set(if state.health.redis_up() { 1.0 } else { 0.0 });
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render())
}

/// Installs the recorder and starts the metrics listener.
pub fn start(state: Arc<AppState>) -> anyhow::Result<actix_web::dev::Server> {
    let handle = PrometheusBuilder::new()
        .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])?
        .install_recorder()?;
    let listen = state.config.metrics.listen.clone();
    let data = web::Data::new((handle, state));
    let server =
        HttpServer::new(move || App::new().app_data(data.clone()).route("/metrics", web::get().to(render)))
            .workers(1)
            .disable_signals()
            .bind(&listen)
            .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {listen}: {e}"))?
            .run();
    Ok(server)
}
