//! Misskey's client API: `POST /api/<endpoint>` (and GET where Misskey allows it). Every endpoint
//! is declared in [`endpoints::all`]; [`dispatch`] resolves the caller, applies rate limits,
//! credential, role and permission checks from the declaration, then calls the handler.
//! Every error leaves through [`ApiError`].

mod accounts;
mod announcements;
mod apps;
pub mod auth;
pub mod drive;
mod emoji;
pub mod endpoint;
mod endpoints;
pub mod error;
mod federation;
mod following;
mod instance;
mod instances;
mod invites;
pub mod meta;
mod moderation;
mod notes;
mod notifications;
mod openapi;
pub mod pack;
pub mod params;
mod ping;
mod queue;
pub mod ratelimit;
mod relations;
mod roles;
pub mod timelines;
mod twofactor;
mod upload;
mod users;

pub use apps::miauth_page;
pub use error::ApiError;

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpRequest, HttpResponse};
use endpoint::{Ctx, Endpoint, Out, Role};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Per-process caches of the client API, shared by the server's workers.
#[derive(Default)]
pub struct Caches {
    pub tokens: auth::TokenCache,
    pub meta: meta::Cache,
}

static REGISTRY: LazyLock<HashMap<&'static str, Endpoint>> =
    LazyLock::new(|| endpoints::all().into_iter().map(|e| (e.name, e)).collect());

/// Every declared endpoint, by name.
pub fn registry() -> &'static HashMap<&'static str, Endpoint> {
    &REGISTRY
}

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

async fn dispatch(
    state: web::Data<AppState>,
    api: web::Data<Caches>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let name = req.match_info().query("endpoint").trim_end_matches('/');
    let ep = REGISTRY.get(name).ok_or_else(ApiError::unknown_endpoint)?;
    let is_get = req.method() == actix_web::http::Method::GET;
    if is_get && !ep.allow_get {
        return Ok(HttpResponse::MethodNotAllowed().insert_header(("Allow", "POST")).finish());
    }
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    let (value, (me, ip), upload) = if ep.file && multipart {
        let drive = &state.drive;
        let header = req.headers().contains_key(actix_web::http::header::AUTHORIZATION);
        let has_token = |v: &serde_json::Value| header || v.get("i").is_some();
        upload::read_form(req.headers(), payload, &drive.storage, drive.max_upload_bytes, has_token, |v| {
            identify(&state, &api, &req, ep, v)
        })
        .await?
    } else {
        let value = if is_get {
            params::query_value(req.query_string())?
        } else {
            params::body_value(&read_body(payload).await?)?
        };
        let who = identify(&state, &api, &req, ep, value.clone()).await?;
        (value, who, None)
    };
    // A suspended account reaches only endpoints that need no credential, and there as anyone.
    let me = me.filter(|m| !m.is_suspended);
    let resolver = req.app_data::<web::Data<dyn crate::domain::federation::Resolver>>().cloned();
    let upload = upload.map(|u| std::sync::Arc::new(std::sync::Mutex::new(Some(u))));
    // Packed users show role badges from the roles last read: keep them recent (no query
    // while they are).
    if let Err(e) = crate::domain::roles::snapshot_from(&state.db).await {
        tracing::debug!(error = ?e, "roles not read again");
    }
    let ctx = Ctx { state: state.clone(), api, me, ip, resolver, upload };
    Ok(match (ep.call)(ctx, value).await? {
        Out::Json(v) => HttpResponse::Ok().json(v),
        Out::Bytes(b) => HttpResponse::Ok().content_type("application/json").body(b),
        Out::Empty => HttpResponse::NoContent().finish(),
    })
}

/// The caller (from the `Authorization` header or the `i` parameter) and their address, once
/// the endpoint's checks let them through.
async fn identify(
    state: &AppState,
    api: &Caches,
    req: &HttpRequest,
    ep: &Endpoint,
    value: serde_json::Value,
) -> Result<(Option<std::sync::Arc<auth::Me>>, std::net::IpAddr), ApiError> {
    let header = req.headers().get("authorization").and_then(|h| h.to_str().ok());
    let me = match auth::token_of(header, &value)? {
        Some(t) => Some(
            auth::resolve(&state.db, &api.tokens, &t).await?.ok_or_else(ApiError::authentication_failed)?,
        ),
        None => None,
    };
    let ip = crate::http::client_ip::client_ip(req, &state.trusted_proxies)
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    authorize(state, ep, me.as_deref(), ip).await?;
    Ok((me, ip))
}

/// The largest JSON body an endpoint takes: far above any real request (a note of 3,000
/// characters is about 12 KB), far below what would let one request make the server parse
/// megabytes before it knows who is calling. Uploads have their own limits.
pub const MAX_JSON_BODY: usize = 256 * 1024;

async fn read_body(mut payload: web::Payload) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid_param("body", e.to_string()))?;
        if body.len() + chunk.len() > MAX_JSON_BODY {
            return Err(ApiError::payload_too_large(MAX_JSON_BODY));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Misskey's order of checks: rate limit, credential, suspension, role, app permission, secure.
async fn authorize(
    state: &AppState,
    ep: &Endpoint,
    me: Option<&auth::Me>,
    ip: std::net::IpAddr,
) -> Result<(), ApiError> {
    if let (Some(limit), true) = (ep.limit, state.config.api.rate_limits) {
        let factor = match me {
            Some(m) => auth::policies_of(state, Some(m)).await?.rate_limit_factor,
            None => 1.0,
        };
        let actor = me.map(|m| m.id.clone()).unwrap_or_else(|| ip.to_string());
        ratelimit::check(&state.redis, ep.name, &actor, limit, factor).await?;
    }
    if ep.credential || ep.role != Role::Anyone {
        let me = me.ok_or_else(ApiError::credential_required)?;
        if me.is_suspended {
            return Err(ApiError::suspended());
        }
        match ep.role {
            Role::Admin if !(me.is_root || me.is_admin) => return Err(ApiError::role_denied(false)),
            Role::Moderator if !me.is_staff() => return Err(ApiError::role_denied(true)),
            _ => {}
        }
        if let Some((_, allowed)) = ep.policy {
            if !(me.is_root || me.is_admin || allowed(&*auth::policies_of(state, Some(me)).await?)) {
                return Err(ApiError::policy_denied());
            }
        }
    }
    if let Some(me) = me.filter(|m| !m.is_native()) {
        if ep.secure {
            return Err(ApiError::access_denied());
        }
        let allowed = match ep.kind {
            Some(kind) => me.may(kind),
            None => !ep.credential,
        };
        if !allowed {
            return Err(ApiError::permission_denied());
        }
    }
    Ok(())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api.json", web::get().to(openapi::serve)).service(
        web::scope("/api")
            .wrap(from_fn(gate))
            .route("/miauth/{session}/check", web::post().to(apps::miauth_check))
            .route("/signin-flow", web::post().to(accounts::signin_flow))
            .route("/{endpoint:.*}", web::post().to(dispatch))
            .route("/{endpoint:.*}", web::get().to(dispatch))
            .default_service(web::to(|| async { Err::<HttpResponse, _>(ApiError::unknown_endpoint()) })),
    );
}
