//! `admin user …` and `admin jobs …`: account and job-queue administration straight against
//! the database.

use super::{fmt_err, load_config, runtime, Cli};
use crate::domain::{keys, users};

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Local user accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// The background job queue.
    #[command(subcommand)]
    Jobs(JobsCmd),
    /// Media kept on disk besides users' files.
    #[command(subcommand)]
    Media(MediaCmd),
}

#[derive(clap::Subcommand)]
pub enum MediaCmd {
    /// Remove the media proxy's cached copies of other servers' media older than N days (and
    /// uploads a crash left half-written); prints the bytes freed.
    Prune {
        #[arg(long, default_value_t = 7)]
        older_than_days: u64,
        /// Only count what would go.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum JobsCmd {
    /// Jobs per queue: waiting, delayed, running, dead, and completed/failed so far.
    Stats,
    /// Jobs whose attempts are spent, newest first, with their last error.
    ListDead {
        /// Only this queue (deliver, inbox, system, endedPollNotification, …).
        #[arg(long)]
        queue: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Put dead jobs back in line with fresh attempts.
    Retry {
        /// One job.
        #[arg(long, conflicts_with_all = ["queue", "all"])]
        id: Option<i64>,
        /// Every dead job of one queue.
        #[arg(long, conflicts_with = "all")]
        queue: Option<String>,
        /// Every dead job.
        #[arg(long)]
        all: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum UserCmd {
    /// Create a local account (the first one becomes the root administrator).
    Create {
        #[arg(long)]
        username: String,
        /// Password; a random one is generated and printed when omitted.
        #[arg(long, env = "MISSKEY_RS_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Set a new password (random and printed when omitted).
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "MISSKEY_RS_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Grant the administrator or moderator role.
    Promote {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = ["admin", "moderator"], default_value = "admin")]
        role: String,
    },
    /// Suspend an account (or lift the suspension with --undo).
    Suspend {
        #[arg(long)]
        username: String,
        #[arg(long)]
        undo: bool,
    },
}

pub fn run(cli: &Cli, c: &Cmd) -> Result<(), String> {
    let cmd = match c {
        Cmd::User(cmd) => cmd,
        Cmd::Jobs(cmd) => return jobs(cli, cmd),
        Cmd::Media(MediaCmd::Prune { older_than_days, dry_run }) => {
            let cfg = load_config(cli, vec![])?.config;
            let mut total = (0, 0);
            for (what, dir, days) in [
                ("proxy cache", crate::http::proxy::cache_dir(&cfg), *older_than_days),
                // Uploads still being written are younger than a day.
                ("unfinished uploads", cfg.drive.dir(&cfg.data_dir).join(".tmp"), (*older_than_days).max(1)),
            ] {
                let (n, bytes) = crate::http::proxy::prune(&dir, days, *dry_run)
                    .map_err(|e| format!("cannot prune {}: {e}", dir.display()))?;
                println!(
                    "{what}: {n} files, {bytes} bytes{}",
                    if *dry_run { " would be freed" } else { " freed" }
                );
                total = (total.0 + n, total.1 + bytes);
            }
            println!(
                "total: {} files, {:.1} MiB{}",
                total.0,
                total.1 as f64 / 1048576.0,
                if *dry_run { " (dry run: nothing removed)" } else { "" }
            );
            return Ok(());
        }
    };
    let loaded = load_config(cli, vec![])?;
    let url = loaded.config.database.url.clone();
    let cfg = loaded.config;
    runtime().block_on(async move {
        let mut conn =
            crate::db::connect(&url).await.map_err(|e| format!("cannot reach the database: {e}"))?;
        let r: Result<(), users::UserError> = async {
            match cmd {
                UserCmd::Create { username, password, admin } => {
                    let (pw, shown) = password_or_random(password);
                    let u = users::create_local(&mut conn, username, &pw, *admin).await?;
                    println!(
                        "created @{} (id {}){}",
                        u.username,
                        u.id,
                        if u.is_root { ", root administrator" } else { "" }
                    );
                    if shown {
                        println!("password: {pw}");
                    }
                }
                UserCmd::ResetPassword { username, password } => {
                    let (pw, shown) = password_or_random(password);
                    users::reset_password(&mut conn, username, &pw).await?;
                    println!("password of @{username} changed");
                    if shown {
                        println!("password: {pw}");
                    }
                }
                UserCmd::Promote { username, role } => {
                    let r = if role == "moderator" { users::Role::Moderator } else { users::Role::Admin };
                    users::promote(&mut conn, username, r).await?;
                    println!("@{username} is now {role}");
                }
                UserCmd::Suspend { username, undo } => {
                    // Running servers hear of it (their sockets of the account close).
                    match crate::bus::Redis::new(&cfg) {
                        Ok(redis) => crate::bus::events::install(redis),
                        Err(e) => eprintln!("warning: running servers will not hear of it: {e}"),
                    }
                    users::set_suspended(&mut conn, username, !undo).await?;
                    crate::bus::events::flush(std::time::Duration::from_secs(5)).await;
                    println!("@{username} {}", if *undo { "is no longer suspended" } else { "is suspended" });
                }
            }
            Ok(())
        }
        .await;
        r.map_err(|e| fmt_err(e.into()))
    })
}

fn password_or_random(p: &Option<String>) -> (String, bool) {
    match p {
        Some(p) => (p.clone(), false),
        None => (keys::random_token(20), true),
    }
}

fn jobs(cli: &Cli, cmd: &JobsCmd) -> Result<(), String> {
    use crate::db::jobs as q;
    let url = load_config(cli, vec![])?.config.database.url;
    runtime().block_on(async move {
        let mut conn =
            crate::db::connect(&url).await.map_err(|e| format!("cannot reach the database: {e}"))?;
        let failed = |e: diesel::result::Error| format!("reading the job queue failed: {e}");
        match cmd {
            JobsCmd::Stats => {
                let counts = q::counts(&mut conn).await.map_err(failed)?;
                println!(
                    "{:<24} {:>9} {:>9} {:>7} {:>7} {:>11} {:>9} {:>12}",
                    "queue", "waiting", "delayed", "active", "dead", "completed", "failed", "oldest wait"
                );
                for c in counts {
                    let oldest = c.oldest_wait_secs.map(|s| format!("{s} s")).unwrap_or_else(|| "-".into());
                    println!(
                        "{:<24} {:>9} {:>9} {:>7} {:>7} {:>11} {:>9} {:>12}",
                        c.queue, c.waiting, c.delayed, c.active, c.dead, c.completed, c.failed, oldest
                    );
                }
            }
            JobsCmd::ListDead { queue, limit } => {
                let jobs = q::list(&mut conn, queue.as_deref(), &[q::Listed::Dead], i64::from(*limit))
                    .await
                    .map_err(failed)?;
                if jobs.is_empty() {
                    println!("no dead jobs");
                }
                for j in jobs {
                    println!(
                        "{} {} attempts {}/{} last tried {}{}\n  payload {}\n  error   {}",
                        j.id,
                        j.queue,
                        j.attempts,
                        j.max_attempts,
                        j.updated_at.format("%Y-%m-%d %H:%M:%S UTC"),
                        j.lane.map(|l| format!(" lane {l}")).unwrap_or_default(),
                        j.payload,
                        j.last_error.unwrap_or_default()
                    );
                }
            }
            JobsCmd::Retry { id, queue, all } => {
                if id.is_none() && queue.is_none() && !all {
                    return Err("say which dead jobs to retry: --id N, --queue NAME or --all".into());
                }
                let n = q::retry_dead(&mut conn, *id, queue.as_deref()).await.map_err(failed)?;
                println!("{n} dead job{} back in line", if n == 1 { " is" } else { "s are" });
            }
        }
        Ok(())
    })
}
