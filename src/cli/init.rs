//! `init`: asks (or takes by flags) what a new instance needs, checks each answer, sets up the
//! database and Redis (external, created on a local server, or managed), writes a minimal config
//! file (mode 0600), runs the migrations, and creates the admin account or a setup token.

use super::{fmt_err, runtime, Cli};
use crate::config::{Config, TlsMode};
use crate::domain::{keys, users};
use crate::supervise::children;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Domain name of the instance, e.g. example.social (or localhost for a local test).
    #[arg(long)]
    pub domain: Option<String>,
    /// Full public URL, when it is not https://DOMAIN (e.g. http://localhost:3000).
    #[arg(long)]
    pub url: Option<String>,
    /// Directory for certificates, managed databases and files.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Username of the first administrator.
    #[arg(long)]
    pub admin_username: Option<String>,
    /// Password of the first administrator (or env MISSKEY_RS_ADMIN_PASSWORD).
    #[arg(long, env = "MISSKEY_RS_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Create no admin now; print a one-time setup token for admin/accounts/create instead.
    #[arg(long)]
    pub setup_token: bool,
    /// Run PostgreSQL and Redis as child processes with data under the data dir.
    #[arg(long)]
    pub managed: bool,
    /// Use this existing PostgreSQL database.
    #[arg(long)]
    pub db_url: Option<String>,
    /// Create a role and database on a PostgreSQL reachable as this superuser URL.
    #[arg(long, conflicts_with = "db_url")]
    pub db_superuser_url: Option<String>,
    /// Name of the role and database to create with --db-superuser-url or --managed.
    #[arg(long, default_value = "misskey")]
    pub db_name: String,
    /// Use this Redis.
    #[arg(long)]
    pub redis_url: Option<String>,
    /// TLS mode: acme, files, off.
    #[arg(long, value_parser = ["acme", "files", "off"])]
    pub tls: Option<String>,
    /// Contact e-mail for ACME.
    #[arg(long)]
    pub acme_email: Option<String>,
    /// ACME directory URL (default: Let's Encrypt).
    #[arg(long)]
    pub acme_directory: Option<String>,
    /// Extra CA certificate (PEM) to trust for the ACME server.
    #[arg(long)]
    pub acme_ca_file: Option<PathBuf>,
    /// PEM certificate chain for --tls files.
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// PEM private key for --tls files.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Plain-HTTP listen address for --tls off.
    #[arg(long)]
    pub listen: Option<String>,
    /// HTTPS listen address for --tls acme/files.
    #[arg(long)]
    pub https_listen: Option<String>,
    /// Never ask; fail on anything missing.
    #[arg(long)]
    pub yes: bool,
    /// Overwrite an existing config file (the old one is kept as .bak).
    #[arg(long)]
    pub force: bool,
}

struct Prompter {
    interactive: bool,
}

impl Prompter {
    fn ask(&self, what: &str, flag: &str, default: Option<&str>) -> Result<String, String> {
        if !self.interactive {
            return default
                .map(str::to_string)
                .ok_or_else(|| format!("missing {flag} (or run `misskey-rs init` interactively)"));
        }
        loop {
            match default {
                Some(d) => eprint!("{what} [{d}]: "),
                None => eprint!("{what}: "),
            }
            std::io::stderr().flush().ok();
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                return Err(format!("no answer for {what}; pass {flag}"));
            }
            let line = line.trim();
            if !line.is_empty() {
                return Ok(line.to_string());
            }
            if let Some(d) = default {
                return Ok(d.to_string());
            }
        }
    }
}

fn is_local_name(domain: &str) -> bool {
    domain == "localhost" || domain.starts_with("127.") || domain.ends_with(".localhost")
}

/// Works out the configuration from flags and answers.
fn plan(cli: &Cli, a: &Args, p: &Prompter) -> Result<Config, String> {
    // Defaults with MISSKEY_RS_* and --set applied; the answers below go on top.
    let mut c = crate::config::load(std::path::Path::new(""), false, &super::parse_sets(&cli.set)?)?.config;
    let domain = match (&a.domain, &a.url) {
        (Some(d), _) => d.clone(),
        (None, Some(u)) => {
            u.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("").to_string()
        }
        (None, None) => p.ask("Domain of this instance (e.g. example.social)", "--domain", None)?,
    };
    if domain.is_empty() || domain.contains('/') || domain.contains(' ') {
        return Err(format!("{domain:?} is not a domain name"));
    }
    let default_tls = if is_local_name(&domain) { "off" } else { "acme" };
    let tls = match &a.tls {
        Some(t) => t.clone(),
        None => p.ask(
            "TLS: acme (automatic certificates), files (your PEM files) or off (behind a proxy)",
            "--tls",
            Some(default_tls),
        )?,
    };
    c.tls.mode = match tls.as_str() {
        "acme" => TlsMode::Acme,
        "files" => TlsMode::Files,
        "off" => TlsMode::Off,
        other => return Err(format!("--tls must be acme, files or off, not {other:?}")),
    };
    if let Some(l) = &a.listen {
        c.http.listen = l.clone();
    }
    if let Some(l) = &a.https_listen {
        c.http.https_listen = l.clone();
    }
    c.url = match &a.url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None if c.tls.mode == TlsMode::Off && is_local_name(&domain) => {
            let port = c.http.listen.rsplit(':').next().unwrap_or("3000");
            format!("http://{domain}:{port}")
        }
        None => format!("https://{domain}"),
    };
    match c.tls.mode {
        TlsMode::Acme => {
            c.tls.acme_email = match &a.acme_email {
                Some(e) => e.clone(),
                None => p.ask("Contact e-mail for the certificate authority", "--acme-email", None)?,
            };
            if !c.tls.acme_email.contains('@') {
                return Err(format!("{:?} is not an e-mail address", c.tls.acme_email));
            }
            if let Some(d) = &a.acme_directory {
                c.tls.acme_directory = d.clone();
            }
            c.tls.acme_ca_file = a.acme_ca_file.clone();
        }
        TlsMode::Files => {
            let cert = match &a.cert {
                Some(x) => x.clone(),
                None => p.ask("PEM certificate chain file", "--cert", None)?.into(),
            };
            let key = match &a.key {
                Some(x) => x.clone(),
                None => p.ask("PEM private key file", "--key", None)?.into(),
            };
            crate::tls::files::FileResolver::new(&cert, &key).map_err(fmt_err)?;
            c.tls.cert_file = Some(cert);
            c.tls.key_file = Some(key);
        }
        TlsMode::Off => {}
    }
    c.data_dir = match &a.data_dir {
        Some(d) => d.clone(),
        None => p.ask("Data directory", "--data-dir", Some(&c.data_dir.display().to_string()))?.into(),
    };
    if c.data_dir.is_relative() {
        let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
        c.data_dir = c.data_dir.components().fold(cwd, |acc, part| match part {
            std::path::Component::CurDir => acc,
            other => acc.join(other),
        });
    }
    if a.managed {
        c.managed.postgres = a.db_url.is_none() && a.db_superuser_url.is_none();
        c.managed.redis = a.redis_url.is_none();
    }
    if let Some(u) = &a.redis_url {
        c.redis.url = u.clone();
    }
    c.validate()?;
    Ok(c)
}

fn check_port_free(addr: &str) -> Result<(), String> {
    match std::net::TcpListener::bind(addr) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            Err(format!("{addr} is already in use by another program"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            eprintln!("note: binding {addr} needs root or CAP_NET_BIND_SERVICE (the systemd unit grants it)");
            Ok(())
        }
        Err(e) => Err(format!("cannot listen on {addr}: {e}")),
    }
}

/// Addresses of this machine's network interfaces.
fn local_addresses() -> Vec<std::net::IpAddr> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills a list that is walked read-only and then freed exactly once.
    unsafe {
        if libc::getifaddrs(&mut head) != 0 {
            return out;
        }
        let mut cur = head;
        while !cur.is_null() {
            let sa = (*cur).ifa_addr;
            if !sa.is_null() {
                match (*sa).sa_family as i32 {
                    libc::AF_INET => {
                        let v4 = &*(sa as *const libc::sockaddr_in);
                        out.push(std::net::Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr)).into());
                    }
                    libc::AF_INET6 => {
                        let v6 = &*(sa as *const libc::sockaddr_in6);
                        out.push(std::net::Ipv6Addr::from(v6.sin6_addr.s6_addr).into());
                    }
                    _ => {}
                }
            }
            cur = (*cur).ifa_next;
        }
        libc::freeifaddrs(head);
    }
    out
}

/// ACME needs the CA to reach this host by its name: warn when the name does not resolve, or
/// resolves only to addresses this machine does not have (fine behind NAT or a proxy).
async fn check_domain(c: &Config) {
    let host = c.hostname();
    let found =
        tokio::net::lookup_host((host.as_str(), 443)).await.map(|a| a.map(|a| a.ip()).collect::<Vec<_>>());
    match found {
        Ok(addrs) => {
            let local = local_addresses();
            let shown: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
            if addrs.iter().any(|a| local.contains(a)) {
                eprintln!("{host} resolves to this machine ({})", shown.join(", "));
            } else {
                eprintln!(
                    "warning: {host} resolves to {}, which is not an address of this machine; \
                     that is fine behind NAT, otherwise fix the DNS record before `serve`",
                    shown.join(", ")
                );
            }
        }
        Err(_) => eprintln!(
            "warning: {host} does not resolve; the certificate authority must reach this host at {host}, so add a DNS record before `serve`"
        ),
    }
}

/// Sets up PostgreSQL per the flags and returns the database URL to store.
async fn setup_database(a: &Args, c: &Config) -> anyhow::Result<String> {
    let role = &a.db_name;
    if !role.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
        anyhow::bail!("--db-name may hold letters, digits and underscores only");
    }
    if let Some(url) = &a.db_url {
        crate::db::connect(url).await.map_err(|e| anyhow::anyhow!("cannot connect to --db-url: {e}"))?;
        return Ok(url.clone());
    }
    let pw = keys::random_token(32);
    if let Some(su) = &a.db_superuser_url {
        let mut conn = crate::db::connect(su)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to --db-superuser-url: {e}"))?;
        use diesel_async::RunQueryDsl;
        diesel::sql_query(format!("CREATE ROLE \"{role}\" LOGIN PASSWORD '{pw}'"))
            .execute(&mut conn)
            .await
            .map_err(|e| anyhow::anyhow!("creating role {role}: {e}"))?;
        diesel::sql_query(format!(
            "CREATE DATABASE \"{role}\" OWNER \"{role}\" ENCODING 'UTF8' TEMPLATE template0"
        ))
        .execute(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("creating database {role}: {e}"))?;
        let host =
            su.split_once('@').map(|(_, h)| h).unwrap_or(su).split('/').next().unwrap_or("127.0.0.1:5432");
        return Ok(format!("postgres://{role}:{pw}@{host}/{role}"));
    }
    if c.managed.postgres {
        children::init_postgres_cluster(c, role, &pw).await?;
        return Ok(format!("postgres://{role}:{pw}@127.0.0.1:{}/{role}", c.managed.postgres_port));
    }
    Ok(c.database.url.clone())
}

/// Creates the instance database inside a fresh managed cluster (which starts with only `postgres`).
async fn create_managed_db(url: &str, role: &str) -> anyhow::Result<()> {
    let admin_url = url.rsplit_once('/').map(|(base, _)| format!("{base}/postgres")).unwrap_or_default();
    // Accepting TCP connections comes before accepting queries ("the database system is
    // starting up"), so retry for a while.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut conn = loop {
        match crate::db::connect(&admin_url).await {
            Ok(c) => break c,
            Err(e) if tokio::time::Instant::now() < deadline => {
                tracing::debug!(error = %e, "managed PostgreSQL not ready yet");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => anyhow::bail!("the managed PostgreSQL does not accept connections: {e}"),
        }
    };
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!("CREATE DATABASE \"{role}\" ENCODING 'UTF8' TEMPLATE template0"))
        .execute(&mut conn)
        .await?;
    Ok(())
}

pub fn run(cli: &Cli, a: &Args) -> Result<(), String> {
    let path = &cli.config;
    if path.exists() && !a.force {
        return Err(format!(
            "{} already exists; pass --force to replace it (the old file is kept as .bak)",
            path.display()
        ));
    }
    let p = Prompter { interactive: !a.yes && std::io::stdin().is_terminal() };
    let mut c = plan(cli, a, &p)?;
    let listen = if c.tls.mode == TlsMode::Off { c.http.listen.clone() } else { c.http.https_listen.clone() };
    check_port_free(&listen)?;
    let admin = if a.setup_token {
        None
    } else {
        let name = match &a.admin_username {
            Some(n) => n.clone(),
            None => p.ask("Admin username", "--admin-username (or --setup-token)", None)?,
        };
        if !users::valid_username(&name) {
            return Err(format!("invalid admin username {name:?}: use 1–20 letters, digits or underscores"));
        }
        let pw = match &a.admin_password {
            Some(pw) => pw.clone(),
            None if p.interactive => {
                p.ask("Admin password (at least 8 characters)", "--admin-password", None)?
            }
            None => {
                return Err("missing --admin-password (or MISSKEY_RS_ADMIN_PASSWORD, or --setup-token)".into())
            }
        };
        if pw.chars().count() < 8 {
            return Err("the admin password must be at least 8 characters".into());
        }
        Some((name, pw))
    };
    std::fs::create_dir_all(&c.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", c.data_dir.display()))?;

    let rt = runtime();
    let token = rt
        .block_on(async {
            if c.tls.mode == TlsMode::Acme {
                check_domain(&c).await;
            }
            c.database.url = setup_database(a, &c).await?;
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let mut child = None;
            if c.managed.postgres {
                let spec = children::postgres_spec(&c)?;
                child = Some(tokio::spawn(children::supervise(spec, stop_rx.clone())));
                if !children::wait_port(c.managed.postgres_port, Duration::from_secs(30)).await {
                    anyhow::bail!("the managed PostgreSQL did not start (see the log above)");
                }
                create_managed_db(&c.database.url, &a.db_name).await?;
            }
            if c.managed.redis {
                let pw = keys::random_token(32);
                children::write_redis_conf(&c, &pw)?;
                c.redis.url = format!("redis://:{pw}@127.0.0.1:{}/0", c.managed.redis_port);
            } else if let Err(e) = crate::bus::Redis::new(&c)?.ping().await {
                eprintln!(
                    "warning: Redis at {} is not reachable now ({e}); `serve` will keep retrying",
                    c.redis.url
                );
            }
            let result = finish_db(&c, admin).await;
            let _ = stop_tx.send(true);
            if let Some(ch) = child {
                let _ = ch.await;
            }
            result
        })
        .map_err(fmt_err)?;

    if path.exists() {
        let bak = path.with_extension("toml.bak");
        std::fs::rename(path, &bak)
            .map_err(|e| format!("cannot keep {} as {}: {e}", path.display(), bak.display()))?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // Created with mode 0600, so the secrets in it are never readable by others, not even for
    // a moment between writing and a chmod.
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(cannot)?;
        f.write_all(crate::config::minimal_toml(&c).as_bytes()).map_err(cannot)?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| e.to_string())?;
    println!("wrote {}", path.display());
    if let Some(t) = token {
        println!("setup token (create the first admin with it via admin/accounts/create; shown once): {t}");
    }
    println!("next: misskey-rs --config {} serve    → {}", path.display(), c.url);
    Ok(())
}

/// Migrations, instance actor, and the admin account or setup token. Returns the setup token.
async fn finish_db(c: &Config, admin: Option<(String, String)>) -> anyhow::Result<Option<String>> {
    crate::db::migrate::run(&c.database.url, |_, _, _| {}).await?;
    let mut conn = crate::db::connect(&c.database.url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    users::ensure_meta(&mut conn).await?;
    users::ensure_instance_actor(&mut conn).await?;
    match admin {
        Some((name, pw)) => {
            let u = users::create_local(&mut conn, &name, &pw, true).await?;
            println!("created administrator @{}", u.username);
            Ok(None)
        }
        None => {
            let token = keys::random_token(24);
            users::set_setup_token(&mut conn, &token).await?;
            Ok(Some(token))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_a_local_address() {
        assert!(super::local_addresses().contains(&std::net::Ipv4Addr::LOCALHOST.into()));
    }
}
