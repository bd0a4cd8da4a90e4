//! `admin user …`: account administration straight against the database.

use super::{fmt_err, load_config, runtime, Cli};
use crate::domain::{keys, users};

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Local user accounts.
    #[command(subcommand)]
    User(UserCmd),
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
    let Cmd::User(cmd) = c;
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
