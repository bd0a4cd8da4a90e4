//! Embedded migrations, run under a PostgreSQL advisory lock so that two processes starting at
//! once apply each migration exactly once. Each migration's name and duration is logged.

use diesel::connection::SimpleConnection;
use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Instant;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Arbitrary constant identifying the migration lock among advisory locks.
const LOCK_KEY: i64 = 0x006d_6b72_736d_6967; // "mkrsmig"

type Wrapper = AsyncConnectionWrapper<AsyncPgConnection>;

/// One migration's state, for `migrate --list`.
pub struct MigrationState {
    pub name: String,
    pub applied: bool,
}

fn all_names() -> anyhow::Result<Vec<String>> {
    let ms = <EmbeddedMigrations as MigrationSource<Pg>>::migrations(&MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("reading embedded migrations: {e}"))?;
    Ok(ms.iter().map(|m| m.name().to_string()).collect())
}

async fn wrapper(url: &str) -> anyhow::Result<Wrapper> {
    let conn = super::connect(url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Wrapper::from(conn))
}

/// Lists every embedded migration and whether it has been applied.
pub async fn list(url: &str) -> anyhow::Result<Vec<MigrationState>> {
    let mut conn = wrapper(url).await?;
    tokio::task::spawn_blocking(move || {
        let applied: Vec<String> = conn
            .applied_migrations()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .iter()
            .map(|v| v.to_string())
            .collect();
        Ok(all_names()?
            .into_iter()
            .map(|name| {
                let version = name.split('_').next().unwrap_or("").replace('-', "");
                let applied = applied.iter().any(|a| a.replace('-', "") == version);
                MigrationState { name, applied }
            })
            .collect())
    })
    .await?
}

/// Applies pending migrations. `progress(done, total, name)` is called before each one and once
/// at the end with `done == total`. Returns the names applied.
pub async fn run(
    url: &str,
    progress: impl FnMut(usize, usize, &str) + Send + 'static,
) -> anyhow::Result<Vec<String>> {
    let mut conn = wrapper(url).await?;
    tokio::task::spawn_blocking(move || run_locked(&mut conn, progress)).await?
}

fn run_locked(
    conn: &mut Wrapper,
    mut progress: impl FnMut(usize, usize, &str),
) -> anyhow::Result<Vec<String>> {
    conn.batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))?;
    let result = (|| {
        let pending = conn.pending_migrations(MIGRATIONS).map_err(|e| anyhow::anyhow!("{e}"))?;
        let total = pending.len();
        let mut done = Vec::new();
        for (i, m) in pending.iter().enumerate() {
            let name = m.name().to_string();
            progress(i, total, &name);
            let t0 = Instant::now();
            conn.run_migration(m).map_err(|e| anyhow::anyhow!("migration {name} failed: {e}"))?;
            tracing::info!(migration = %name, ms = t0.elapsed().as_millis() as u64, "applied migration");
            done.push(name);
        }
        progress(total, total, "");
        Ok(done)
    })();
    // The lock is released with the session anyway; unlocking early lets others go on sooner.
    let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"));
    result
}

/// Names of the migrations that `run` would apply.
pub async fn pending(url: &str) -> anyhow::Result<Vec<String>> {
    Ok(list(url).await?.into_iter().filter(|m| !m.applied).map(|m| m.name).collect())
}
