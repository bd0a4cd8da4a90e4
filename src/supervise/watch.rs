//! Dependency watchers: one task per dependency probes it, flips the health flags, logs each
//! state change once, and runs pending migrations the first time PostgreSQL answers.

use super::{notify, Backoff, Health};
use crate::bus::Redis;
use crate::db::DbPool;
use diesel_async::RunQueryDsl;
use std::sync::Arc;
use std::time::Duration;

const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Probes in a row that may time out before a dependency that was up counts as down.
const SLOW_PROBES_TOLERATED: u32 = 2;
const BACKOFF_CAP: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Deps {
    pub db: Arc<DbPool>,
    pub db_url: String,
    pub redis: Redis,
    pub health: Arc<Health>,
    /// Whether this process applies migrations (web and all roles do; both take the lock).
    pub run_migrations: bool,
    /// `api.open_setup`: no setup token is made for an instance without an administrator.
    pub open_setup: bool,
}

/// One dependency as the watcher sees it.
trait Dependency {
    const NAME: &'static str;
    async fn probe(&self) -> Result<(), String>;
    /// Work due once the dependency answers (migrations); an error is retried with backoff.
    async fn on_up(&self) -> Result<(), String>;
    fn set_up(&self, up: bool);
    /// Drops idle pooled connections so that none left over from before an outage is reused.
    fn drop_idle(&self);
}

struct Postgres(Deps);
struct RedisDep(Deps);

impl Dependency for Postgres {
    const NAME: &'static str = "postgres";

    async fn probe(&self) -> Result<(), String> {
        let mut conn = self.0.db.get().await.map_err(|e| e.to_string())?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await.map_err(|e| e.to_string())?;
        Ok(())
    }

    async fn on_up(&self) -> Result<(), String> {
        if self.0.health.is_migrated() {
            return Ok(());
        }
        migrate(&self.0).await.map_err(|e| format!("{e:#}"))
    }

    fn set_up(&self, up: bool) {
        self.0.health.set_postgres(up);
    }

    fn drop_idle(&self) {
        self.0.db.retain(|_, _| false);
    }
}

impl Dependency for RedisDep {
    const NAME: &'static str = "redis";

    async fn probe(&self) -> Result<(), String> {
        self.0.redis.ping().await.map_err(|e| e.to_string())
    }

    async fn on_up(&self) -> Result<(), String> {
        Ok(())
    }

    fn set_up(&self, up: bool) {
        self.0.health.set_redis(up);
    }

    fn drop_idle(&self) {
        self.0.redis.pool.retain(|_, _| false);
    }
}

/// Probes forever: every second while up, with capped jittered backoff while down. Logs each
/// change of state once. A dependency that was up and does not answer in time is asked again
/// before it counts as down ([`SLOW_PROBES_TOLERATED`]): on a machine saturated by load a probe
/// can wait longer than its timeout for a core, and a false "down" would refuse requests that
/// need nothing of it. An error (connection refused, reset) counts at once.
async fn watch<D: Dependency>(dep: D, health: Arc<Health>) {
    let mut backoff = Backoff::new(BACKOFF_CAP);
    let mut last: Option<bool> = None;
    let mut slow = 0;
    loop {
        let probed = tokio::time::timeout(PROBE_TIMEOUT, dep.probe()).await;
        if probed.is_err() && last == Some(true) && slow < SLOW_PROBES_TOLERATED {
            slow += 1;
            tracing::debug!("{} answered no probe within {PROBE_TIMEOUT:?}; asking again", D::NAME);
            continue;
        }
        slow = 0;
        let result = probed.unwrap_or_else(|_| Err("timed out".into()));
        let up = result.is_ok();
        if last != Some(up) {
            match &result {
                Ok(()) => tracing::info!("{} is reachable", D::NAME),
                Err(e) => tracing::warn!(error = %e, "{} is unreachable; retrying with backoff", D::NAME),
            }
            last = Some(up);
        }
        if up {
            if let Err(e) = dep.on_up().await {
                tracing::error!(error = %e, "{}: not ready yet; retrying", D::NAME);
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        }
        dep.set_up(up);
        notify::status(&health);
        if up {
            backoff.reset();
            tokio::time::sleep(PROBE_EVERY).await;
        } else {
            dep.drop_idle();
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }
}

async fn migrate(d: &Deps) -> anyhow::Result<()> {
    if !d.run_migrations {
        let pending = crate::db::migrate::pending(&d.db_url).await?;
        if !pending.is_empty() {
            anyhow::bail!("waiting for a web process to apply {} migration(s)", pending.len());
        }
    } else {
        let h = d.health.clone();
        let applied = crate::db::migrate::run(&d.db_url, move |done, total, _| {
            h.set_migration_progress(done, total);
            notify::status(&h);
        })
        .await?;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "database schema is up to date");
        }
    }
    if d.run_migrations && !d.open_setup {
        let mut conn = crate::db::connect(&d.db_url).await?;
        if let Some(token) = crate::domain::users::ensure_setup_token(&mut conn).await? {
            // Shown once, so the operator can create the first administrator (it is stored only
            // as a hash, and is void once an administrator exists).
            tracing::warn!(
                setup_token = %token,
                "no administrator yet: create one in the web UI or with admin/accounts/create and this setup token"
            );
        }
    }
    d.health.set_migrated();
    Ok(())
}

/// Starts both watchers on the current runtime.
pub fn spawn_watchers(d: Deps) {
    tokio::spawn(watch(Postgres(d.clone()), d.health.clone()));
    tokio::spawn(watch(RedisDep(d.clone()), d.health.clone()));
}
