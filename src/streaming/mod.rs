//! Misskey's streaming API on `/streaming`: one WebSocket per client (`?i=TOKEN` or a Bearer
//! header on the upgrade; anonymous for public channels), channels connected over it (main,
//! the timelines, user lists, hashtags), and notes captured for their changes. An adapter
//! beside `api/`: what a viewer sees is the domain's decision (`domain::timelines::Viewer`),
//! events come from the domain through Redis (`domain::events`), so every process delivers
//! every event to its own sockets.

mod connection;
mod dispatch;
pub mod hub;
mod view;

pub use hub::Hub;

use crate::api::{auth, ApiError, Caches};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::Arc;

/// Starts delivering events to this process's sockets.
pub fn start(hub: Arc<Hub>, state: Arc<AppState>) {
    dispatch::start(hub, state);
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/streaming", web::get().to(upgrade));
}

/// The token of an upgrade request: the Bearer header wins over the query's `i`.
fn token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let header = req.headers().get("authorization").and_then(|h| h.to_str().ok());
    let query: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let i = query.into_iter().find(|(k, _)| k == "i").map(|(_, v)| serde_json::Value::String(v));
    auth::token_of(header, &serde_json::json!({ "i": i }))
}

async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    api: web::Data<Caches>,
    hub: web::Data<Hub>,
) -> Result<HttpResponse, ApiError> {
    if let Err(reason) = state.health.ready() {
        return Err(ApiError::unavailable(&reason.to_string()));
    }
    let me = match token(&req)? {
        Some(t) => Some(
            auth::resolve(&state.db, &api.tokens, &t).await?.ok_or_else(ApiError::authentication_failed)?,
        ),
        None => None,
    };
    if let Some(me) = &me {
        if me.is_suspended {
            return Err(ApiError::suspended());
        }
        if !me.may("read:account") {
            return Err(ApiError::permission_denied());
        }
    }
    let is_upgrade = req
        .headers()
        .get("upgrade")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case("websocket"));
    if !is_upgrade {
        return Ok(HttpResponse::build(actix_web::http::StatusCode::UPGRADE_REQUIRED)
            .insert_header(("Upgrade", "websocket"))
            .body("WebSocket only"));
    }
    let viewer = {
        let mut conn = state.db.get().await?;
        crate::domain::timelines::Viewer::load(&mut conn, me.as_ref().map(|m| m.id.as_str())).await?
    };
    let (res, session, stream) =
        actix_ws::handle(&req, body).map_err(|e| ApiError::invalid_param("upgrade", e.to_string()))?;
    let stream = stream
        .max_frame_size(connection::MAX_FRAME)
        .aggregate_continuations()
        .max_continuation_size(connection::MAX_FRAME);
    let hub = hub.into_inner();
    let (id, rx, kill) = connection::register(&hub, viewer);
    let socket = connection::Socket { hub, state: state.into_inner(), me, id };
    actix_web::rt::spawn(connection::run(socket, session, stream, rx, kill));
    Ok(res)
}
