//! `serve`: starts managed children (if any), the dependency watchers and the HTTP server; on
//! SIGTERM it stops accepting, drains, and stops the children last.

use super::{fmt_err, load_config, runtime, Cli};
use crate::bus::Redis;
use crate::config::Loaded;
use crate::state::AppState;
use crate::supervise::{children, spawn_watchers, Deps, Health};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Web and background work in one process.
    All,
    /// HTTP only.
    Web,
    /// Background work only (no HTTP listener).
    Worker,
}

#[derive(clap::Args)]
pub struct Args {
    /// Which part of the server this process runs.
    #[arg(long, value_enum, default_value = "all")]
    pub role: Role,
    /// Listen address for plain HTTP (sets http.listen).
    #[arg(long)]
    pub listen: Option<String>,
}

pub fn run(cli: &Cli, a: &Args) -> Result<(), String> {
    let mut extra = Vec::new();
    if let Some(l) = &a.listen {
        extra.push(("http.listen".to_string(), toml::Value::String(l.clone())));
    }
    let loaded = load_config(cli, extra)?;
    crate::logging::init(&loaded.config.log);
    runtime().block_on(serve(loaded, a.role)).map_err(fmt_err)
}

fn log_sources(loaded: &Loaded) {
    tracing::info!(version = crate::VERSION, config = %loaded.path.display(), "misskey-rs starting");
    for (key, value, source) in loaded.describe() {
        if source != crate::config::Source::Default {
            tracing::info!(key = %key, value = %value, source = %source, "config");
        }
    }
}

async fn serve(loaded: Loaded, role: Role) -> anyhow::Result<()> {
    log_sources(&loaded);
    let cfg = Arc::new(loaded.config);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut kids = Vec::new();
    for (enabled, spec) in [
        (cfg.managed.postgres, cfg.managed.postgres.then(|| children::postgres_spec(&cfg))),
        (cfg.managed.redis, cfg.managed.redis.then(|| children::redis_spec(&cfg))),
    ] {
        if let (true, Some(spec)) = (enabled, spec) {
            let spec = spec?;
            let port = spec.port;
            kids.push(tokio::spawn(children::supervise(spec, stop_rx.clone())));
            if !children::wait_port(port, Duration::from_secs(30)).await {
                tracing::warn!(port, "managed service not accepting connections yet; continuing");
            }
        }
    }

    let db = crate::db::build_pool(&cfg.database)?;
    // The note writer's own connection, beside the request pool.
    let writer_db = crate::config::DatabaseConfig { pool_size: 1, ..cfg.database.clone() };
    let redis = Redis::new(&cfg)?;
    crate::bus::events::install(redis.clone());
    let health = Arc::new(Health::default());
    if cfg.api.open_setup {
        tracing::warn!("api.open_setup is on: while there is no administrator, anyone who reaches this server can become one");
    }
    spawn_watchers(Deps {
        db: db.clone(),
        db_url: cfg.database.url.clone(),
        redis: redis.clone(),
        health: health.clone(),
        run_migrations: role != Role::Worker,
        open_setup: cfg.api.open_setup,
    });
    let trusted_proxies = crate::http::client_ip::trusted_proxies(&cfg);
    let state = Arc::new(AppState {
        config: cfg.clone(),
        db,
        redis,
        health,
        trusted_proxies,
        policies: Default::default(),
        notes: crate::domain::notes::Writer::start(crate::db::build_pool(&writer_db)?),
        drive: Arc::new(crate::domain::drive::Drive::from_config(&cfg).map_err(anyhow::Error::msg)?),
    });
    check_storage(&state.drive);

    if cfg.federation.allow_insecure_peers {
        tracing::warn!(
            "federation.allow_insecure_peers is on: plain-http peers and loopback/private addresses are federated with; never on a public server"
        );
    }
    let fed = crate::ap::Federation::new(state.clone())?;
    let jobs = (role != Role::Web).then(|| crate::jobs::spawn(fed.clone(), stop_rx.clone()));
    let result = if role == Role::Worker {
        crate::supervise::notify::ready();
        wait_for_signal().await;
        Ok(())
    } else {
        crate::http::run(state, fed).await
    };
    let _ = stop_tx.send(true);
    if let Some(j) = jobs {
        let _ = j.await;
    }
    for k in kids {
        let _ = k.await;
    }
    tracing::info!("stopped");
    result
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Says at start where drive files are kept and whether that store answers (a bucket that does
/// not, or refuses the credentials, is an error in the log; uploads fail until it answers), and
/// removes what uploads a crash interrupted left in the temporary directory.
fn check_storage(drive: &Arc<crate::domain::drive::Drive>) {
    let drive = drive.clone();
    tokio::spawn(async move {
        let store = drive.storage.describe();
        match drive.storage.check().await {
            Ok(()) => tracing::info!(store = %store, "drive storage ready"),
            Err(e) => {
                tracing::error!(error = %e, "drive storage does not answer: uploads and files will fail until it does")
            }
        }
        match drive.storage.sweep_temp().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(bytes = n, "removed uploads a stop interrupted"),
            Err(e) => tracing::warn!(error = %e, "temporary uploads not swept"),
        }
    });
}
