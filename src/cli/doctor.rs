//! `doctor`: one report to paste into a support request. Secrets are masked.

use super::{load_config, runtime, Cli};
use crate::bus::Redis;
use crate::config::TlsMode;

pub fn run(cli: &Cli) -> Result<(), String> {
    println!("misskey-rs {} ({}-{})", crate::VERSION, std::env::consts::ARCH, std::env::consts::OS);
    let loaded = match load_config(cli, vec![]) {
        Ok(l) => l,
        Err(e) => {
            println!("config: ERROR {e}");
            return Err("configuration unusable".into());
        }
    };
    println!("config: {}", loaded.path.display());
    for (key, value, source) in loaded.describe() {
        if source != crate::config::Source::Default {
            println!("  {key} = {value}  ({source})");
        }
    }
    let cfg = loaded.config;
    let mut problems = 0;
    runtime().block_on(async {
        let db_url = cfg.database.url.clone();
        match crate::db::connect(&db_url).await {
            Ok(mut conn) => {
                use diesel_async::RunQueryDsl;
                #[derive(diesel::QueryableByName)]
                struct V {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    v: String,
                }
                let v: Result<V, _> = diesel::sql_query("SELECT version() AS v").get_result(&mut conn).await;
                println!("postgres: ok ({})", v.map(|v| v.v).unwrap_or_default());
                match crate::db::migrate::list(&db_url).await {
                    Ok(ms) => {
                        let pending = ms.iter().filter(|m| !m.applied).count();
                        println!("migrations: {} applied, {} pending", ms.len() - pending, pending);
                    }
                    Err(e) => println!("migrations: ERROR {e:#}"),
                }
            }
            Err(e) => {
                problems += 1;
                println!("postgres: UNREACHABLE {e}");
            }
        }
        match Redis::new(&cfg) {
            Ok(r) => match r.server_version().await {
                Ok(v) => println!("redis: ok (version {v}, prefix {:?})", r.prefix),
                Err(e) => {
                    problems += 1;
                    println!("redis: UNREACHABLE {e}");
                }
            },
            Err(e) => println!("redis: bad configuration {e}"),
        }
    });
    let expiry = match cfg.tls.mode {
        TlsMode::Off => None,
        TlsMode::Files => cfg
            .tls
            .cert_file
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|p| crate::tls::pem_not_after(&p)),
        TlsMode::Acme => crate::tls::acme::cached_not_after(&cfg),
    };
    match (cfg.tls.mode, expiry) {
        (TlsMode::Off, _) => println!("tls: off (behind a reverse proxy)"),
        (mode, Some(t)) => {
            let days = (t - chrono::Utc::now().timestamp()) / 86400;
            println!("tls: {mode:?}, certificate expires in {days} days");
        }
        (mode, None) => println!("tls: {mode:?}, no certificate yet"),
    }
    println!("clock: {} (UTC)", chrono::Utc::now().to_rfc3339());
    match disk_free(&cfg.data_dir) {
        Some((free, total)) => {
            println!("disk ({}): {} MiB free of {} MiB", cfg.data_dir.display(), free >> 20, total >> 20)
        }
        None => println!("disk ({}): data dir missing", cfg.data_dir.display()),
    }
    if problems > 0 {
        Err(format!("{problems} problem(s) found"))
    } else {
        Ok(())
    }
}

fn disk_free(path: &std::path::Path) -> Option<(u64, u64)> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: zeroed statvfs is a valid out-parameter; c is a valid C string.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some((s.f_bavail as u64 * s.f_frsize as u64, s.f_blocks as u64 * s.f_frsize as u64))
}
