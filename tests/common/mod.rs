//! Shared helpers for the integration tests: they drive the real `misskey-rs` binary against a
//! real PostgreSQL and Redis (a fresh database per test), and, where a test must stop a
//! dependency, against PostgreSQL and Redis processes of its own.
#![allow(dead_code)]

pub mod procs;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_misskey-rs");

/// Superuser URL of the shared test PostgreSQL.
pub fn pg_admin_url() -> String {
    std::env::var("MKRS_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("MKRS_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{tag}_{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed), nanos % 100_000)
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("mkrs-{}", unique(tag)));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs SQL with psql; returns its unaligned output, trimmed.
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql").arg(url).args(["-v", "ON_ERROR_STOP=1", "-qAtc", sql]).output().unwrap();
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A database of its own on the shared PostgreSQL, dropped afterwards.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new(tag: &str) -> Self {
        let name = unique(tag).to_lowercase();
        psql(&pg_admin_url(), &format!("CREATE DATABASE {name}"));
        let base = pg_admin_url();
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        TestDb { name, url }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(pg_admin_url())
            .args(["-qAtc", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .output();
    }
}

/// Writes a minimal config for a plain-HTTP server on 127.0.0.1:`port`.
pub fn write_config(dir: &Path, port: u16, db_url: &str, redis_url: &str) -> PathBuf {
    let config = dir.join("c.toml");
    let text = format!(
        "url = \"http://localhost:{port}\"\ndata_dir = \"{}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n\
         [database]\nurl = \"{db_url}\"\n[redis]\nurl = \"{redis_url}\"\n",
        dir.display()
    );
    std::fs::write(&config, text).unwrap();
    config
}

/// Runs the binary to completion; returns (success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    run_env(args, &[])
}

pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("MISSKEY_RS_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The password `Instance::init` gives the first administrator, `admin`.
pub const ADMIN_PASSWORD: &str = "adminpass123";

/// An initialized instance (config file + migrated database with an admin) on a free port.
pub struct Instance {
    pub dir: TempDir,
    pub db: Option<TestDb>,
    pub config: PathBuf,
    pub port: u16,
    /// What `init` printed (the setup token, with `--setup-token`).
    pub init_output: String,
}

impl Instance {
    /// `init` against a fresh database on the shared PostgreSQL.
    pub fn init(tag: &str) -> Self {
        let db = TestDb::new(tag);
        let mut inst = Self::init_with(tag, &db.url, &redis_url(), &[]);
        inst.db = Some(db);
        inst
    }

    pub fn init_with(tag: &str, db_url: &str, redis_url: &str, extra: &[&str]) -> Self {
        let dir = TempDir::new(tag);
        let port = free_port();
        let config = dir.path().join("config.toml");
        let listen = format!("127.0.0.1:{port}");
        let data = dir.path().join("data");
        let mut args = vec![
            "--config",
            config.to_str().unwrap(),
            "init",
            "--yes",
            "--domain",
            "localhost",
            "--tls",
            "off",
            "--listen",
            &listen,
            "--data-dir",
            data.to_str().unwrap(),
            "--db-url",
            db_url,
            "--redis-url",
            redis_url,
            "--admin-username",
            "admin",
            "--admin-password",
            ADMIN_PASSWORD,
        ];
        args.extend_from_slice(extra);
        let (ok, out, err) = run(&args);
        assert!(ok, "init failed:\n{out}\n{err}");
        Instance { dir, db: None, config, port, init_output: out }
    }

    /// An instance without an administrator, and the setup token `init` printed for it.
    pub fn init_for_setup(tag: &str) -> (Self, String) {
        let db = TestDb::new(tag);
        let mut inst = Self::init_with(tag, &db.url, &redis_url(), &["--setup-token"]);
        inst.db = Some(db);
        let token = inst
            .init_output
            .lines()
            .find_map(|l| l.split("shown once): ").nth(1))
            .expect("init prints a setup token")
            .trim()
            .to_string();
        (inst, token)
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let mut all = vec!["--config", self.config.to_str().unwrap()];
        all.extend_from_slice(args);
        run(&all)
    }

    /// Turns Misskey's per-endpoint rate limits off (for tests that call one endpoint often).
    pub fn without_rate_limits(self) -> Self {
        let mut text = std::fs::read_to_string(&self.config).unwrap();
        assert!(!text.contains("[api]"), "the config already has an [api] table");
        text.push_str("\n[api]\nrate_limits = false\n");
        std::fs::write(&self.config, text).unwrap();
        self
    }

    /// Federates with plain-http peers on loopback (other test instances).
    pub fn federating(self) -> Self {
        let mut text = std::fs::read_to_string(&self.config).unwrap();
        text.push_str("\n[federation]\nallow_insecure_peers = true\n");
        std::fs::write(&self.config, text).unwrap();
        self
    }

    /// The host other servers know this one by (`localhost:port`).
    pub fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    pub fn serve(&self) -> Server {
        Server::start(&self.config, &[], self.base())
    }
}

/// A running `serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    pub fn start(config: &Path, extra: &[&str], base: String) -> Self {
        let log = config.with_file_name(format!("serve-{}.log", unique("log")));
        let f = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .arg("--config")
            .arg(config)
            .arg("serve")
            .args(extra)
            .env("MISSKEY_RS_LOG_FORMAT", "human")
            .env_remove("MISSKEY_RS_CONFIG")
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap();
        Server { child, base, log }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// reqwest is built without a default TLS provider; tests use ring like the server.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

/// GET a path; (status, body). Connection errors come back as status 0.
pub async fn get(base: &str, path: &str) -> (u16, String) {
    match client().get(format!("{base}{path}")).send().await {
        Ok(r) => {
            let s = r.status().as_u16();
            (s, r.text().await.unwrap_or_default())
        }
        Err(_) => (0, String::new()),
    }
}

/// POST JSON to an API endpoint; (status, parsed body).
pub async fn api(base: &str, endpoint: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = client().post(format!("{base}/api/{endpoint}")).json(&body).send().await.unwrap();
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (s, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// [`api`] with the caller's token as the body's `i`.
pub async fn call(
    base: &str,
    ep: &str,
    token: &str,
    mut body: serde_json::Value,
) -> (u16, serde_json::Value) {
    body["i"] = serde_json::Value::String(token.to_string());
    api(base, ep, body).await
}

/// Creates an account through `admin/accounts/create` as the administrator: (id, token).
pub async fn user(base: &str, admin: &str, name: &str) -> (String, String) {
    let body = serde_json::json!({ "username": name, "password": "password123" });
    let (s, u) = call(base, "admin/accounts/create", admin, body).await;
    assert_eq!(s, 200, "{u}");
    (u["id"].as_str().unwrap().to_string(), u["token"].as_str().unwrap().to_string())
}

/// Serves the instance, waits until it is ready and signs in its first administrator: the
/// server and the administrator's token.
pub async fn serve_signed_in(inst: &Instance) -> (Server, String) {
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let body = serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD });
    let (s, r) = api(&server.base, "signin-flow", body).await;
    assert_eq!(s, 200, "admin sign-in: {r}");
    let token = r["i"].as_str().expect("a token").to_string();
    (server, token)
}

/// Polls `path` until it answers `status`, or panics after `timeout` with the server log.
pub async fn wait_status(server: &Server, path: &str, status: u16, timeout: Duration) -> Duration {
    let t0 = Instant::now();
    loop {
        let (s, _) = get(&server.base, path).await;
        if s == status {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < timeout,
            "{path} did not answer {status} within {timeout:?} (last {s}); log:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// tests/contract with its npm packages (misskey-js, typescript) installed.
pub fn contract_dir() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract");
    // Tests run in parallel: one installs while the others wait (npm ci replaces node_modules).
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        if !dir.join("node_modules/misskey-js").exists() || !dir.join("node_modules/ws").exists() {
            let ok = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).status();
            assert!(ok.is_ok_and(|s| s.success()), "npm ci in tests/contract failed (needs nodejs and npm)");
        }
    });
    dir
}

/// Runs tests/contract/check.mjs over `(entity type, name, value)` samples: the misskey-js
/// contract (see tests/contract.rs).
pub fn check_contract(samples: &[(&str, &str, serde_json::Value)]) {
    let dir = contract_dir();
    let tmp = TempDir::new("contract");
    let file = tmp.path().join("samples.json");
    let list: Vec<serde_json::Value> =
        samples.iter().map(|(t, n, v)| serde_json::json!({ "type": t, "name": n, "value": v })).collect();
    std::fs::write(&file, serde_json::to_vec(&list).unwrap()).unwrap();
    let out = Command::new("node").arg(dir.join("check.mjs")).arg(&file).output().expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "misskey-js contract violated:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
}

/// Uploads through `drive/files/create` as misskey-js does: a multipart form with the token
/// and fields first, then the file.
pub async fn upload(
    base: &str,
    token: &str,
    fields: &[(&str, &str)],
    filename: &str,
    bytes: &[u8],
) -> (u16, serde_json::Value) {
    upload_with(base, token, fields, filename, bytes, true).await
}

/// [`upload`] with the token before the file (`token_first`) or after it.
pub async fn upload_with(
    base: &str,
    token: &str,
    fields: &[(&str, &str)],
    filename: &str,
    bytes: &[u8],
    token_first: bool,
) -> (u16, serde_json::Value) {
    let boundary = "----mkrs-test-boundary-7d93";
    let mut body = Vec::new();
    let mut part = |name: &str, extra: &str, content: &[u8]| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n").as_bytes(),
        );
        if !extra.is_empty() {
            body.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    if token_first {
        part("i", "", token.as_bytes());
    }
    for (k, v) in fields {
        part(k, "", v.as_bytes());
    }
    part("file", &format!("; filename=\"{filename}\""), bytes);
    if !token_first {
        part("i", "", token.as_bytes());
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    post_raw(base, "drive/files/create", &format!("multipart/form-data; boundary={boundary}"), body).await
}

/// POSTs raw bytes of a content type to an endpoint; (status, parsed body).
pub async fn post_raw(
    base: &str,
    endpoint: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let r = client()
        .post(format!("{base}/api/{endpoint}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (s, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}
