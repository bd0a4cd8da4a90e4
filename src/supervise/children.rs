//! Managed mode: PostgreSQL and redis-server run as child processes with their data under the
//! data dir, listening on 127.0.0.1 only. They are restarted with backoff when they die, their
//! output goes to the log, and they are stopped last on shutdown.

use super::Backoff;
use crate::config::Config;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// A user to run the children as (PostgreSQL refuses to run as root).
#[derive(Debug, Clone, Copy)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

/// `Some` when this process is root: the configured unprivileged user.
pub fn run_as(cfg: &Config) -> anyhow::Result<Option<RunAs>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::ffi::CString::new(cfg.managed.run_as.clone())?;
    // SAFETY: name is a valid C string; the returned record is read before any other call.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        anyhow::bail!(
            "managed mode runs PostgreSQL and Redis as the unprivileged user {:?}, which does not exist: \
             create it (`useradd --system {0}`; install.sh does this) or set managed.run_as",
            cfg.managed.run_as
        );
    }
    // SAFETY: pw is non-null and points to a valid passwd record.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Some(RunAs { uid, gid }))
}

/// Creates `dir` (mode 0700) owned by the child user.
pub fn own_dir(dir: &Path, who: Option<RunAs>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    if let Some(u) = who {
        std::os::unix::fs::chown(dir, Some(u.uid), Some(u.gid))?;
    }
    Ok(())
}

/// The directory holding `initdb` and `postgres`.
pub fn postgres_bin_dir(cfg: &Config) -> anyhow::Result<PathBuf> {
    if let Some(d) = &cfg.managed.postgres_bin_dir {
        return Ok(d.clone());
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Ok(bin);
    }
    if let Some(p) = which("postgres") {
        return Ok(p.parent().unwrap_or(Path::new("/")).to_path_buf());
    }
    anyhow::bail!("managed PostgreSQL needs the server installed: `apt-get install postgresql` (or set managed.postgres_bin_dir)")
}

pub fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(bin)).find(|p| p.is_file())
}

pub fn pg_data_dir(cfg: &Config) -> PathBuf {
    cfg.data_dir.join("postgres")
}

pub fn redis_data_dir(cfg: &Config) -> PathBuf {
    cfg.data_dir.join("redis")
}

/// Runs `initdb` for a new cluster whose superuser is `user` with `password`.
pub async fn init_postgres_cluster(cfg: &Config, user: &str, password: &str) -> anyhow::Result<()> {
    let who = run_as(cfg)?;
    let dir = pg_data_dir(cfg);
    if dir.join("PG_VERSION").exists() {
        anyhow::bail!("{} already holds a PostgreSQL cluster", dir.display());
    }
    own_dir(&cfg.data_dir, who)?;
    own_dir(&dir, who)?;
    let pwfile = cfg.data_dir.join(".initdb-pw");
    std::fs::write(&pwfile, password)?;
    if let Some(u) = who {
        std::os::unix::fs::chown(&pwfile, Some(u.uid), Some(u.gid))?;
    }
    std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o600))?;
    let mut cmd = Command::new(postgres_bin_dir(cfg)?.join("initdb"));
    cmd.arg("-D").arg(&dir).args([
        "-U",
        user,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--no-instructions",
    ]);
    cmd.arg(format!("--pwfile={}", pwfile.display())).env("LC_ALL", "C.UTF-8");
    if let Some(u) = who {
        cmd.uid(u.uid).gid(u.gid);
    }
    let out = cmd.output().await;
    let _ = std::fs::remove_file(&pwfile);
    let out = out?;
    if !out.status.success() {
        anyhow::bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Writes the managed Redis configuration (password inside, mode 0600).
pub fn write_redis_conf(cfg: &Config, password: &str) -> anyhow::Result<()> {
    let who = run_as(cfg)?;
    let dir = redis_data_dir(cfg);
    own_dir(&cfg.data_dir, who)?;
    own_dir(&dir, who)?;
    let conf = dir.join("redis.conf");
    let text = format!(
        "bind 127.0.0.1\nport {}\ndir {}\nrequirepass {}\nappendonly yes\nsave \"\"\nprotected-mode yes\n",
        cfg.managed.redis_port,
        dir.display(),
        password
    );
    std::fs::write(&conf, text)?;
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600))?;
    if let Some(u) = who {
        std::os::unix::fs::chown(&conf, Some(u.uid), Some(u.gid))?;
    }
    Ok(())
}

/// How to start one child and how to ask it to stop.
#[derive(Clone)]
pub struct ChildSpec {
    pub name: &'static str,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub run_as: Option<RunAs>,
    /// SIGINT is PostgreSQL's "fast shutdown"; Redis stops on SIGTERM.
    pub stop_signal: i32,
    pub port: u16,
}

pub fn postgres_spec(cfg: &Config) -> anyhow::Result<ChildSpec> {
    let dir = pg_data_dir(cfg);
    if !dir.join("PG_VERSION").exists() {
        anyhow::bail!("no managed PostgreSQL cluster at {}: run `misskey-rs init --managed`", dir.display());
    }
    Ok(ChildSpec {
        name: "postgres",
        program: postgres_bin_dir(cfg)?.join("postgres"),
        args: vec![
            "-D".into(),
            dir.display().to_string(),
            "-p".into(),
            cfg.managed.postgres_port.to_string(),
            "-c".into(),
            "listen_addresses=127.0.0.1".into(),
            "-c".into(),
            format!("unix_socket_directories={}", dir.display()),
        ],
        run_as: run_as(cfg)?,
        stop_signal: libc::SIGINT,
        port: cfg.managed.postgres_port,
    })
}

pub fn redis_spec(cfg: &Config) -> anyhow::Result<ChildSpec> {
    let conf = redis_data_dir(cfg).join("redis.conf");
    if !conf.exists() {
        anyhow::bail!(
            "no managed Redis configuration at {}: run `misskey-rs init --managed`",
            conf.display()
        );
    }
    let program = which("redis-server")
        .ok_or_else(|| anyhow::anyhow!("managed Redis needs redis-server: `apt-get install redis-server`"))?;
    Ok(ChildSpec {
        name: "redis",
        program,
        args: vec![conf.display().to_string()],
        run_as: run_as(cfg)?,
        stop_signal: libc::SIGTERM,
        port: cfg.managed.redis_port,
    })
}

fn spawn(spec: &ChildSpec) -> std::io::Result<Child> {
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env("LC_ALL", "C.UTF-8");
    if let Some(u) = spec.run_as {
        cmd.uid(u.uid).gid(u.gid);
    }
    // A new process group: a Ctrl-C on the terminal reaches only misskey-rs, which then stops
    // the children in order.
    cmd.process_group(0);
    let death_signal = spec.stop_signal;
    // SAFETY: prctl is async-signal-safe; it only sets a flag of the new process. If misskey-rs
    // dies without stopping its children (SIGKILL, crash), they are told to stop as well.
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, death_signal as libc::c_ulong);
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let name = spec.name;
    if let Some(out) = child.stdout.take() {
        tokio::spawn(forward(name, BufReader::new(out)));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(forward(name, BufReader::new(err)));
    }
    Ok(child)
}

async fn forward<R: tokio::io::AsyncRead + Unpin>(name: &'static str, r: BufReader<R>) {
    let mut lines = r.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(target: "misskey_rs::child", child = name, "{line}");
    }
}

/// Waits until something accepts TCP connections on 127.0.0.1:port.
pub async fn wait_port(port: u16, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Runs the child until `stop` turns true, restarting it with backoff whenever it exits.
pub async fn supervise(spec: ChildSpec, mut stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::new(Duration::from_secs(30));
    loop {
        let started = tokio::time::Instant::now();
        let mut child = match spawn(&spec) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(child = spec.name, error = %e, "cannot start");
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => continue,
                    _ = stop.changed() => return,
                }
            }
        };
        tracing::info!(child = spec.name, pid = child.id(), "started");
        tokio::select! {
            status = child.wait() => {
                tracing::warn!(child = spec.name, ?status, "exited; restarting");
                if started.elapsed() > Duration::from_secs(60) {
                    backoff.reset();
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => {}
                    _ = stop.changed() => return,
                }
            }
            _ = stop.changed() => {
                stop_child(&spec, &mut child).await;
                return;
            }
        }
    }
}

async fn stop_child(spec: &ChildSpec, child: &mut Child) {
    if let Some(pid) = child.id() {
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid as i32, spec.stop_signal) };
    }
    match tokio::time::timeout(Duration::from_secs(30), child.wait()).await {
        Ok(_) => tracing::info!(child = spec.name, "stopped"),
        Err(_) => {
            tracing::warn!(child = spec.name, "did not stop in 30 s; killing");
            let _ = child.kill().await;
        }
    }
}
