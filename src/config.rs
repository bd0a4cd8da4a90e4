//! The server's configuration: one typed struct whose doc comments are the documentation.
//!
//! Sources apply in one direction: built-in defaults → TOML file → `MISSKEY_RS_*` environment →
//! command-line flags. Every leaf key remembers which source set it, so `config show` and the
//! start-up log can say so.

mod example;
mod load;
mod schema;

pub use example::example_toml;
pub use load::{load, minimal_toml, Loaded, Source};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Default location of the configuration file.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/misskey-rs/config.toml";

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Public URL of the instance, e.g. "https://example.social". Fixed after `init`:
    /// every local user's ActivityPub id is derived from it.
    pub url: String,
    /// Directory for the instance's own state: TLS certificates, managed database files, uploads.
    pub data_dir: PathBuf,
    /// HTTP listeners and request limits.
    pub http: HttpConfig,
    /// TLS: how certificates are obtained.
    pub tls: TlsConfig,
    /// PostgreSQL, the source of truth.
    pub database: DatabaseConfig,
    /// Redis: pub/sub, caches and counters (never the only copy of anything).
    pub redis: RedisConfig,
    /// Managed mode: misskey-rs runs PostgreSQL and/or Redis itself as child processes.
    pub managed: ManagedConfig,
    /// Logging.
    pub log: LogConfig,
    /// Prometheus metrics.
    pub metrics: MetricsConfig,
    /// The client API.
    pub api: ApiConfig,
    /// ActivityPub federation with other servers.
    pub federation: FederationConfig,
    /// The background job queue.
    pub jobs: JobsConfig,
    /// Drive files: uploads, their storage and image processing.
    pub drive: DriveConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DriveConfig {
    /// Directory of stored files; empty: `data_dir/files`. Every `serve` process of the
    /// instance must see the same directory.
    pub dir: Option<PathBuf>,
    /// Largest upload read at all, in bytes (Misskey's `maxFileSize`); role policies
    /// (`maxFileSizeMb`, `driveCapacityMb`) limit each user further.
    pub max_file_bytes: u64,
    /// Megapixels of images decoded at once by one process (each upload waits for its share; a
    /// larger image runs alone): image processing takes about 9 MiB per megapixel of this at
    /// its peak, whatever the load (32: about 300 MiB).
    pub decode_budget_megapixels: u32,
    /// Largest size of the media proxy's cache of other servers' images, in MiB (the oldest
    /// entries go first).
    pub proxy_cache_mb: u64,
    /// S3-compatible object storage (AWS S3, MinIO, Garage, Cloudflare R2, …) instead of `dir`;
    /// needed to run `serve` on more than one machine. Off while `endpoint` is empty.
    pub s3: S3Config,
}

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// The service's URL, e.g. "https://s3.eu-central-1.amazonaws.com" or
    /// "http://127.0.0.1:9000"; empty: files are kept in `drive.dir`.
    pub endpoint: String,
    /// The bucket (it must exist; the server never creates or lists buckets).
    pub bucket: String,
    /// The region requests are signed for ("us-east-1" suits most S3-compatible servers).
    pub region: String,
    /// Access key id.
    pub access_key: String,
    /// Secret access key (better given as MISSKEY_RS_DRIVE_S3_SECRET_KEY than in this file).
    pub secret_key: String,
    /// Address the bucket as endpoint/bucket/key (MinIO and most self-hosted servers); false:
    /// bucket.endpoint/key (virtual-hosted, as AWS prefers).
    pub path_style: bool,
    /// Prepended to every object's key, e.g. "files/" to share a bucket.
    pub prefix: String,
    /// Where browsers fetch the bucket's objects from directly (the bucket's public URL or a CDN
    /// in front of it, e.g. "https://media.example.social"); the object's key follows it.
    /// Empty: files are served through this server's `/files/`.
    pub public_url: String,
    /// Stores objects with the `public-read` ACL, for buckets whose objects are public per
    /// object rather than by a bucket policy (leave off for R2 and buckets that refuse ACLs).
    pub public_read: bool,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            endpoint: String::new(),
            bucket: String::new(),
            region: "us-east-1".into(),
            access_key: String::new(),
            secret_key: String::new(),
            path_style: true,
            prefix: String::new(),
            public_url: String::new(),
            public_read: false,
        }
    }
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &if self.secret_key.is_empty() { "" } else { "***" })
            .field("path_style", &self.path_style)
            .field("prefix", &self.prefix)
            .field("public_url", &self.public_url)
            .field("public_read", &self.public_read)
            .finish()
    }
}

impl Default for DriveConfig {
    fn default() -> Self {
        DriveConfig {
            dir: None,
            max_file_bytes: 262_144_000,
            decode_budget_megapixels: 32,
            proxy_cache_mb: 512,
            s3: S3Config::default(),
        }
    }
}

impl DriveConfig {
    pub fn dir(&self, data_dir: &std::path::Path) -> PathBuf {
        self.dir.clone().filter(|d| !d.as_os_str().is_empty()).unwrap_or_else(|| data_dir.join("files"))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Multiplies every retry delay of failed jobs and the rest of a failing host (1.0: a
    /// failed delivery is retried after about a minute, doubling up to six hours). Lower it
    /// only on test instances.
    pub backoff_scale: f64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig { backoff_scale: 1.0 }
    }
}

/// Which servers this one federates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum FederationMode {
    /// Every server that is not blocked.
    #[default]
    All,
    /// Only the servers in `allowed_hosts`.
    Specified,
    /// None: no inbox, no delivery, no fetching.
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FederationConfig {
    /// "all", "specified" (only `allowed_hosts`) or "none".
    pub mode: FederationMode,
    /// Hosts federated with when `mode = "specified"` (a host includes its subdomains).
    pub allowed_hosts: Vec<String>,
    /// Hosts whose activities and objects are refused and to which nothing is delivered (a host
    /// includes its subdomains). Administrators block more from the control panel; these stay
    /// blocked whatever is set there.
    pub blocked_hosts: Vec<String>,
    /// Hosts whose users are silenced (a host includes its subdomains): their public notes are
    /// kept out of the public timelines (stored as home), and their follows of local users wait
    /// for approval. Administrators silence more from the control panel.
    pub silenced_hosts: Vec<String>,
    /// For development and tests only: federate with plain-http peers and with peers on
    /// loopback and private addresses (`host:port` authorities work everywhere). Off by
    /// default; `serve` warns when it is on.
    pub allow_insecure_peers: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Enforce Misskey's per-endpoint rate limits (scaled by the `rateLimitFactor` role policy).
    /// Turn off only on test instances and for load tests.
    pub rate_limits: bool,
    /// Let the first administrator be created without a setup token while none exists, as
    /// upstream Misskey does. Only for throwaway test and benchmark instances: whoever reaches
    /// the server first becomes its administrator. Off, a server whose database has no
    /// administrator and no setup token (migrated by `serve` without `init`) makes a setup token
    /// at start and logs it once.
    pub open_setup: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig { rate_limits: true, open_setup: false }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Address for plain HTTP when `tls.mode = "off"` (behind a reverse proxy).
    pub listen: String,
    /// Address for HTTPS when `tls.mode` is "acme" or "files".
    pub https_listen: String,
    /// Address for plain HTTP next to HTTPS: redirects to HTTPS. Empty disables it.
    pub redirect_listen: String,
    /// Reverse proxies whose X-Forwarded-For header is believed (IP addresses), e.g. ["127.0.0.1"].
    /// Left empty with `tls.mode = "off"` and a loopback `listen` address, the loopback addresses
    /// are trusted: such a server can only be reached through a proxy on the same machine, and
    /// without its header every client would share the proxy's address (and its sign-in limit).
    pub trusted_proxies: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Serve the web UI from this directory (a build of `assets/`, e.g. a themed one) instead of
    /// the one built into the binary. Read on every request, so a rebuild shows at once.
    pub ui_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Certificates from an ACME CA (Let's Encrypt by default), obtained and renewed automatically.
    Acme,
    /// PEM certificate and key files, reloaded on SIGHUP.
    Files,
    /// Plain HTTP, for running behind a reverse proxy that terminates TLS.
    Off,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// One of "acme", "files", "off".
    pub mode: TlsMode,
    /// Contact e-mail for the ACME account (mode "acme").
    pub acme_email: String,
    /// ACME directory URL (mode "acme"). Let's Encrypt's production directory by default.
    pub acme_directory: String,
    /// Extra PEM root certificate trusted when talking to the ACME server (for a private or test CA).
    pub acme_ca_file: Option<PathBuf>,
    /// PEM certificate chain (mode "files").
    pub cert_file: Option<PathBuf>,
    /// PEM private key (mode "files").
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// PostgreSQL URL, e.g. "postgres://misskey:secret@127.0.0.1:5432/misskey".
    /// Add "?sslmode=require" to connect with TLS.
    pub url: String,
    /// Most connections requests and jobs of this process hold open; `serve` keeps one more,
    /// for the writer that stores new notes in batches.
    pub pool_size: usize,
    /// Seconds to wait for a free connection before a request fails.
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// Redis URL, e.g. "redis://127.0.0.1:6379/0" (or "rediss://" for TLS).
    pub url: String,
    /// Prefix of every key and channel, so several instances can share one Redis.
    /// Empty means one derived from the instance's host name.
    pub prefix: String,
    /// Most connections held open by this process.
    pub pool_size: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ManagedConfig {
    /// Run PostgreSQL as a child process with its cluster under `data_dir/postgres`.
    pub postgres: bool,
    /// Run redis-server as a child process.
    pub redis: bool,
    /// Port of the managed PostgreSQL (listens on 127.0.0.1 only).
    pub postgres_port: u16,
    /// Port of the managed Redis (listens on 127.0.0.1 only).
    pub redis_port: u16,
    /// Directory holding `initdb` and `postgres`; found automatically when empty.
    pub postgres_bin_dir: Option<PathBuf>,
    /// System user that runs the managed services when misskey-rs runs as root.
    pub run_as: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable on a terminal, JSON lines otherwise.
    Auto,
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Filter in tracing's syntax, e.g. "info" or "info,misskey_rs=debug".
    pub level: String,
    /// One of "auto", "human", "json".
    pub format: LogFormat,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve Prometheus metrics at /metrics on `listen`.
    pub enabled: bool,
    /// Address of the metrics listener; keep it on localhost unless `token` is set.
    pub listen: String,
    /// Bearer token required to read /metrics; empty means none.
    pub token: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            url: String::new(),
            data_dir: PathBuf::from("/var/lib/misskey-rs"),
            http: HttpConfig::default(),
            tls: TlsConfig::default(),
            database: DatabaseConfig::default(),
            redis: RedisConfig::default(),
            managed: ManagedConfig::default(),
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
            api: ApiConfig::default(),
            federation: FederationConfig::default(),
            jobs: JobsConfig::default(),
            drive: DriveConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:3000".into(),
            https_listen: "0.0.0.0:443".into(),
            redirect_listen: "0.0.0.0:80".into(),
            trusted_proxies: vec![],
            max_body_bytes: 8 * 1024 * 1024,
            workers: 0,
            ui_dir: None,
        }
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            mode: TlsMode::Off,
            acme_email: String::new(),
            acme_directory: "https://acme-v02.api.letsencrypt.org/directory".into(),
            acme_ca_file: None,
            cert_file: None,
            key_file: None,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "postgres://misskey@127.0.0.1:5432/misskey".into(),
            pool_size: 16,
            acquire_timeout_secs: 5,
        }
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig { url: "redis://127.0.0.1:6379/0".into(), prefix: String::new(), pool_size: 16 }
    }
}

impl Default for ManagedConfig {
    fn default() -> Self {
        ManagedConfig {
            postgres: false,
            redis: false,
            postgres_port: 54329,
            redis_port: 63799,
            postgres_bin_dir: None,
            run_as: "misskey-rs".into(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: "info".into(), format: LogFormat::Auto }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig { enabled: false, listen: "127.0.0.1:9464".into(), token: String::new() }
    }
}

impl Config {
    /// Host part of the public URL (with port when not the default one).
    pub fn host(&self) -> String {
        let rest = self.url.split_once("://").map(|(_, r)| r).unwrap_or(&self.url);
        rest.split('/').next().unwrap_or("").to_ascii_lowercase()
    }

    /// Host name without port: the ACME identifier.
    pub fn hostname(&self) -> String {
        let host = self.host();
        match host.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
            _ => host,
        }
    }

    /// Prefix for Redis keys and channels.
    pub fn redis_prefix(&self) -> String {
        if self.redis.prefix.is_empty() {
            format!("misskey-rs:{}:", self.host())
        } else {
            self.redis.prefix.clone()
        }
    }

    /// Checks what serde cannot: values that parse but make no sense together.
    pub fn validate(&self) -> Result<(), String> {
        if self.url.is_empty() {
            return Err("`url` is not set: run `misskey-rs init` first, or set it in the config file".into());
        }
        if !(self.url.starts_with("https://") || self.url.starts_with("http://")) || self.host().is_empty() {
            return Err(format!("`url` must look like https://example.social, got {:?}", self.url));
        }
        if self.url.trim_end_matches('/') != self.url {
            return Err("`url` must not end with a slash".into());
        }
        match self.tls.mode {
            TlsMode::Files if self.tls.cert_file.is_none() || self.tls.key_file.is_none() => {
                return Err("tls.mode = \"files\" needs tls.cert_file and tls.key_file".into())
            }
            TlsMode::Acme if self.tls.acme_email.is_empty() => {
                return Err("tls.mode = \"acme\" needs tls.acme_email (the CA's contact address)".into())
            }
            _ => {}
        }
        for p in &self.http.trusted_proxies {
            if p.parse::<std::net::IpAddr>().is_err() {
                return Err(format!("http.trusted_proxies: {p:?} is not an IP address"));
            }
        }
        if let Some(dir) = &self.http.ui_dir {
            if !dir.join("index.html").is_file() {
                return Err(format!(
                    "http.ui_dir: {} holds no index.html (build the UI there with `npm run build` in assets/)",
                    dir.display()
                ));
            }
        }
        if self.database.pool_size == 0 || self.redis.pool_size == 0 {
            return Err("pool_size must be at least 1".into());
        }
        self.drive.s3.validate()
    }
}

impl S3Config {
    pub fn enabled(&self) -> bool {
        !self.endpoint.trim().is_empty()
    }

    fn validate(&self) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        let url = url::Url::parse(self.endpoint.trim())
            .map_err(|e| format!("drive.s3.endpoint: {:?} is not a URL ({e})", self.endpoint))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("drive.s3.endpoint: {:?} is not an http(s) URL", self.endpoint));
        }
        if self.bucket.trim().is_empty() {
            return Err("drive.s3.endpoint is set: drive.s3.bucket is needed too".into());
        }
        if self.access_key.is_empty() || self.secret_key.is_empty() {
            return Err(
                "drive.s3.endpoint is set: drive.s3.access_key and drive.s3.secret_key are needed too".into(),
            );
        }
        if !self.prefix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
            || self.prefix.starts_with('/')
            || self.prefix.contains("..")
        {
            return Err(format!(
                "drive.s3.prefix: {:?} may hold letters, digits, '-', '_', '.' and '/' (not first), no '..'",
                self.prefix
            ));
        }
        if !self.public_url.is_empty()
            && url::Url::parse(&self.public_url)
                .map(|u| !matches!(u.scheme(), "http" | "https"))
                .unwrap_or(true)
        {
            return Err(format!("drive.s3.public_url: {:?} is not an http(s) URL", self.public_url));
        }
        Ok(())
    }
}

/// Names of keys whose values are never printed.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.ends_with("token") || k.contains("password") || k.contains("secret")
}

/// Hides the password inside a URL such as postgres://user:pass@host/db.
pub fn mask_url_password(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.rsplit_once('@') {
            if let Some((user, _)) = cred.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}
