//! What every part of a running server shares: configuration, the PostgreSQL pool, Redis,
//! dependency health, the note writer and the caches of domain data. Adapters keep their own
//! caches beside it (the client API's in `api::Caches`).

use crate::bus::Redis;
use crate::config::Config;
use crate::db::DbPool;
use crate::supervise::Health;
use std::sync::Arc;

/// Cloned cheaply into every worker.
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Arc<DbPool>,
    pub redis: Redis,
    pub health: Arc<Health>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The instance's base role policies.
    pub policies: crate::domain::settings::PolicyCache,
    /// Stores new notes in batches (see `db::writer`).
    pub notes: crate::domain::notes::Writer,
    /// Drive files: storage and image processing.
    pub drive: Arc<crate::domain::drive::Drive>,
}
