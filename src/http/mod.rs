//! HTTP assembly: shared state, routes, middleware, and the listeners for each TLS mode.

pub mod client_ip;
mod health;
mod identicon;
pub mod metrics;
mod server;

pub use server::run;

use crate::bus::Redis;
use crate::config::Config;
use crate::db::DbPool;
use crate::supervise::Health;
use actix_web::web;
use std::sync::Arc;

/// Everything a handler may need; cloned cheaply into every worker.
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Arc<DbPool>,
    pub redis: Redis,
    pub health: Arc<Health>,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub meta_cache: crate::api::meta::Cache,
    pub api: crate::api::Caches,
    /// Stores new notes in batches (see `domain::notes::writer`).
    pub notes: crate::domain::notes::Writer,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/livez", web::get().to(health::livez))
        .route("/readyz", web::get().to(health::readyz))
        .route("/identicon/{acct}", web::get().to(identicon::serve))
        .route("/miauth/{session}", web::get().to(crate::api::miauth_page));
    crate::api::configure(cfg);
}
