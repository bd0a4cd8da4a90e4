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
const BACKOFF_CAP: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Deps {
    pub db: Arc<DbPool>,
    pub db_url: String,
    pub redis: Redis,
    pub health: Arc<Health>,
    /// Whether this process applies migrations (web and all roles do; both take the lock).
    pub run_migrations: bool,
}

async fn probe_pg(db: &DbPool) -> Result<(), String> {
    let fut = async {
        let mut conn = db.get().await.map_err(|e| e.to_string())?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await.map_err(|e| e.to_string())?;
        Ok(())
    };
    tokio::time::timeout(PROBE_TIMEOUT, fut).await.unwrap_or_else(|_| Err("timed out".into()))
}

async fn pg_loop(d: Deps) {
    let mut backoff = Backoff::new(BACKOFF_CAP);
    let mut last: Option<bool> = None;
    loop {
        let result = probe_pg(&d.db).await;
        let up = result.is_ok();
        if last != Some(up) {
            match &result {
                Ok(()) => tracing::info!("postgres is reachable"),
                Err(e) => {
                    tracing::warn!(error = %e, "postgres is unreachable; retrying with backoff")
                }
            }
            last = Some(up);
        }
        if up && !d.health.is_migrated() {
            if let Err(e) = migrate(&d).await {
                tracing::error!(error = %e, "migrations failed; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        }
        d.health.set_postgres(up);
        notify::status(&d.health);
        if up {
            backoff.reset();
            tokio::time::sleep(PROBE_EVERY).await;
        } else {
            d.db.retain(|_, _| false);
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
    d.health.set_migrated();
    Ok(())
}

async fn redis_loop(d: Deps) {
    let mut backoff = Backoff::new(BACKOFF_CAP);
    let mut last: Option<bool> = None;
    loop {
        let result = tokio::time::timeout(PROBE_TIMEOUT, d.redis.ping())
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("timed out")));
        let up = result.is_ok();
        if last != Some(up) {
            match &result {
                Ok(()) => tracing::info!("redis is reachable"),
                Err(e) => tracing::warn!(error = %e, "redis is unreachable; retrying with backoff"),
            }
            last = Some(up);
        }
        d.health.set_redis(up);
        notify::status(&d.health);
        if up {
            backoff.reset();
            tokio::time::sleep(PROBE_EVERY).await;
        } else {
            d.redis.pool.retain(|_, _| false);
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }
}

/// Starts both watchers on the current runtime.
pub fn spawn_watchers(d: Deps) {
    tokio::spawn(pg_loop(d.clone()));
    tokio::spawn(redis_loop(d));
}
