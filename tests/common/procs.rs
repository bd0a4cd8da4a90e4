//! PostgreSQL and Redis processes owned by a test, so that a test can stop and restart them
//! without disturbing other tests. PostgreSQL refuses to run as root; then it runs as `postgres`.

use super::{free_port, TempDir};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn pg_bin(name: &str) -> PathBuf {
    let mut dirs: Vec<_> =
        std::fs::read_dir("/usr/lib/postgresql").unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    dirs.last().expect("PostgreSQL server installed").join("bin").join(name)
}

/// uid/gid of the `postgres` user when running as root.
pub fn unprivileged() -> Option<(u32, u32)> {
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let name = std::ffi::CString::new("postgres").unwrap();
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(!pw.is_null(), "running as root needs a `postgres` user for the test's own cluster");
    unsafe { Some(((*pw).pw_uid, (*pw).pw_gid)) }
}

fn as_user(cmd: &mut Command) -> &mut Command {
    if let Some((u, g)) = unprivileged() {
        cmd.uid(u).gid(g);
    }
    cmd
}

pub fn wait_port(port: u16, up: bool, timeout: Duration) {
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() != up {
        assert!(t0.elapsed() < timeout, "port {port} did not become {}", if up { "open" } else { "closed" });
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct OwnPostgres {
    pub dir: TempDir,
    pub port: u16,
    child: Option<Child>,
}

impl OwnPostgres {
    pub fn new() -> Self {
        let dir = TempDir::new("pg");
        if let Some((u, g)) = unprivileged() {
            std::os::unix::fs::chown(dir.path(), Some(u), Some(g)).unwrap();
        }
        let data = dir.path().join("data");
        let out = as_user(Command::new(pg_bin("initdb")).arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-instructions",
        ]))
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let mut pg = OwnPostgres { dir, port: free_port(), child: None };
        pg.start();
        super::psql(&pg.url("postgres"), "CREATE DATABASE misskey");
        pg
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    pub fn start(&mut self) {
        let data = self.dir.path().join("data");
        let child = as_user(
            Command::new(pg_bin("postgres"))
                .arg("-D")
                .arg(&data)
                .args(["-p", &self.port.to_string(), "-c", "listen_addresses=127.0.0.1"])
                .arg("-c")
                .arg(format!("unix_socket_directories={}", data.display())),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        self.child = Some(child);
        wait_port(self.port, true, Duration::from_secs(20));
        // Accepting TCP is not quite accepting queries; wait for that too.
        let t0 = Instant::now();
        while !Command::new("psql")
            .arg(self.url("postgres"))
            .args(["-qAtc", "SELECT 1"])
            .output()
            .unwrap()
            .status
            .success()
        {
            assert!(t0.elapsed() < Duration::from_secs(20), "postgres did not accept queries");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Fast shutdown, like `pg_ctl stop -m fast`.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe { libc::kill(c.id() as i32, libc::SIGINT) };
            c.wait().unwrap();
        }
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct OwnRedis {
    pub port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    pub fn new() -> Self {
        let mut r = OwnRedis { port: free_port(), child: None };
        r.start();
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn start(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_port(self.port, true, Duration::from_secs(10));
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            c.wait().unwrap();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
