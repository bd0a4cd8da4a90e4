//! `migrate`: apply pending migrations now, or list them / show what would run.

use super::{fmt_err, load_config, runtime, Cli};
use crate::db::migrate;

#[derive(clap::Args)]
pub struct Args {
    /// List every migration and whether it is applied.
    #[arg(long)]
    pub list: bool,
    /// Show pending migrations without applying them.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(cli: &Cli, a: &Args) -> Result<(), String> {
    let loaded = load_config(cli, vec![])?;
    crate::logging::init(&loaded.config.log);
    let url = loaded.config.database.url.clone();
    runtime()
        .block_on(async move {
            if a.list {
                for m in migrate::list(&url).await? {
                    println!("[{}] {}", if m.applied { "x" } else { " " }, m.name);
                }
            } else if a.dry_run {
                let pending = migrate::pending(&url).await?;
                if pending.is_empty() {
                    println!("the database is up to date");
                }
                for name in pending {
                    println!("would apply {name}");
                }
            } else {
                let done = migrate::run(&url, |_, _, _| {}).await?;
                println!("applied {} migration(s)", done.len());
            }
            Ok(())
        })
        .map_err(|e: anyhow::Error| {
            format!(
                "database {}: {}",
                crate::config::mask_url_password(&loaded.config.database.url),
                fmt_err(e)
            )
        })
}
