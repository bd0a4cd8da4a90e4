//! The endpoint table: every API endpoint is declared once, with its parameter type, its
//! credential/permission/role/rate-limit flags and its handler. Dispatch, permission checks, rate
//! limiting and the OpenAPI document (`/api.json`) are all driven from these declarations.

use super::auth::Me;
use super::{params, ApiError};
use crate::domain::policies::RolePolicies;
use crate::state::AppState;
use actix_web::web;
use futures_util::future::LocalBoxFuture;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// What a handler answers: JSON, pre-rendered JSON bytes, or nothing (HTTP 204).
pub enum Out {
    Json(Value),
    Bytes(web::Bytes),
    Empty,
}

impl From<Value> for Out {
    fn from(v: Value) -> Self {
        Out::Json(v)
    }
}

impl From<()> for Out {
    fn from(_: ()) -> Self {
        Out::Empty
    }
}

/// The request as a handler sees it: shared state, the caller (if any) and the client address.
#[derive(Clone)]
pub struct Ctx {
    pub state: web::Data<AppState>,
    pub api: web::Data<super::Caches>,
    pub me: Option<Arc<Me>>,
    pub ip: std::net::IpAddr,
    /// Finding remote users and notes, where the server federates.
    pub resolver: Option<web::Data<dyn crate::domain::federation::Resolver>>,
    /// The file of an upload endpoint's form, until its handler takes it.
    pub upload: Option<Arc<std::sync::Mutex<Option<super::upload::Uploaded>>>>,
}

impl Ctx {
    /// The authenticated caller; only called by handlers of endpoints that require credentials.
    pub fn me(&self) -> Result<&Me, ApiError> {
        self.me.as_deref().ok_or_else(ApiError::credential_required)
    }

    /// The caller's policies (base and roles; the base for visitors).
    pub async fn policies(&self) -> Result<Arc<RolePolicies>, ApiError> {
        super::auth::policies_of(&self.state, self.me.as_deref()).await
    }

    pub fn me_id(&self) -> Option<&str> {
        self.me.as_deref().map(|m| m.id.as_str())
    }

    /// Takes the uploaded file (once).
    pub fn take_upload(&self) -> Option<super::upload::Uploaded> {
        self.upload.as_ref().and_then(|u| u.lock().ok()?.take())
    }

    pub async fn db(&self) -> Result<crate::db::DbConn, ApiError> {
        Ok(self.state.db.get().await?)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Anyone,
    Moderator,
    Admin,
}

/// Misskey's per-endpoint limit: at most `max` calls per `duration_ms`, and at least
/// `min_interval_ms` between two calls; both scaled by the caller's `rateLimitFactor`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limit {
    pub duration_ms: u64,
    pub max: u64,
    pub min_interval_ms: u64,
}

/// Reads one role policy: does it allow the endpoint?
pub type PolicyCheck = fn(&RolePolicies) -> bool;

type Call = Box<dyn Fn(Ctx, Value) -> LocalBoxFuture<'static, Result<Out, ApiError>> + Send + Sync>;

pub struct Endpoint {
    pub name: &'static str,
    pub credential: bool,
    pub kind: Option<&'static str>,
    pub secure: bool,
    pub role: Role,
    /// A role policy the caller needs (its name, and how to read it); root and administrators
    /// pass regardless, as in Misskey.
    pub policy: Option<(&'static str, PolicyCheck)>,
    pub limit: Option<Limit>,
    pub allow_get: bool,
    /// Takes a `multipart/form-data` upload with a `file` part.
    pub file: bool,
    pub description: &'static str,
    pub params: fn() -> schemars::Schema,
    pub call: Call,
}

/// Declares an endpoint whose parameters are `P` and whose handler is `f`.
pub fn ep<P, F, Fut, R>(name: &'static str, f: F) -> Endpoint
where
    P: DeserializeOwned + JsonSchema + 'static,
    F: Fn(Ctx, P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, ApiError>> + 'static,
    R: Into<Out>,
{
    let f = Arc::new(f);
    Endpoint {
        name,
        credential: false,
        kind: None,
        secure: false,
        role: Role::Anyone,
        policy: None,
        limit: None,
        allow_get: false,
        file: false,
        description: "",
        params: || schemars::schema_for!(P),
        call: Box::new(move |ctx, v| {
            let f = f.clone();
            Box::pin(async move {
                let p: P = params::from_value(v)?;
                f(ctx, p).await.map(Into::into)
            })
        }),
    }
}

impl Endpoint {
    /// Requires a signed-in caller; an app token needs `kind` (when given).
    pub fn cred(mut self, kind: Option<&'static str>) -> Self {
        self.credential = true;
        self.kind = kind;
        self
    }

    /// Permission an app token needs when it calls this endpoint without requiring credentials.
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Only native tokens (the official client), never app tokens.
    pub fn secure(mut self) -> Self {
        self.secure = true;
        self
    }

    pub fn admin(mut self) -> Self {
        self.credential = true;
        self.role = Role::Admin;
        self
    }

    pub fn moderator(mut self) -> Self {
        self.credential = true;
        self.role = Role::Moderator;
        self
    }

    pub fn policy(mut self, name: &'static str, allowed: PolicyCheck) -> Self {
        self.policy = Some((name, allowed));
        self
    }

    pub fn limit(mut self, duration_ms: u64, max: u64) -> Self {
        let l = self.limit.get_or_insert_with(Limit::default);
        l.duration_ms = duration_ms;
        l.max = max;
        self
    }

    pub fn min_interval(mut self, ms: u64) -> Self {
        self.limit.get_or_insert_with(Limit::default).min_interval_ms = ms;
        self
    }

    pub fn get(mut self) -> Self {
        self.allow_get = true;
        self
    }

    /// An upload endpoint (multipart form with a `file` part).
    pub fn file(mut self) -> Self {
        self.file = true;
        self
    }

    pub fn doc(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }
}

pub const SEC: u64 = 1000;
pub const MIN: u64 = 60 * SEC;
pub const HOUR: u64 = 60 * MIN;
