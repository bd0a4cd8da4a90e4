//! An S3-compatible bucket as the store: every request is a presigned URL (`rusty-s3` signs,
//! the server's own `reqwest` with rustls sends), so no second HTTP stack is built in.
//!
//! Objects are written whole with one `PutObject` (S3 takes up to 5 GB that way, far past
//! `drive.max_file_bytes`), with the type, name and caching they are served with, so a bucket
//! that browsers read directly serves them as `/files/` would.

use super::{resolve_range, Body, Meta, Object, Range, READ_AT_ONCE};
use futures_util::TryStreamExt;
use reqwest::{header, StatusCode};
use rusty_s3::actions::{DeleteObject, GetObject, HeadBucket, PutObject};
use rusty_s3::{Credentials, S3Action, UrlStyle};
use std::io;
use std::path::Path;
use std::time::Duration;

/// How long a signed request stays valid (it is sent at once).
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

pub struct Bucket {
    bucket: rusty_s3::Bucket,
    creds: Credentials,
    prefix: String,
    public_read: bool,
    http: reqwest::Client,
}

/// A transport error without its URL: a presigned URL is a credential for its object.
fn unsent(e: reqwest::Error) -> io::Error {
    io::Error::other(e.without_url())
}

fn failed(what: &str, key: &str, status: StatusCode) -> io::Error {
    io::Error::other(format!("{what} {key}: the bucket answered {status}"))
}

impl Bucket {
    pub fn new(cfg: &crate::config::S3Config) -> Result<Self, String> {
        let endpoint = url::Url::parse(cfg.endpoint.trim())
            .map_err(|e| format!("drive.s3.endpoint {:?}: {e}", cfg.endpoint))?;
        let style = if cfg.path_style { UrlStyle::Path } else { UrlStyle::VirtualHost };
        let bucket =
            rusty_s3::Bucket::new(endpoint, style, cfg.bucket.trim().to_string(), cfg.region.clone())
                .map_err(|e| {
                    format!(
                        "drive.s3: the bucket {:?} cannot be addressed at {}: {e:?}",
                        cfg.bucket, cfg.endpoint
                    )
                })?;
        let http = reqwest::Client::builder()
            .tls_certs_only(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .filter_map(|c| reqwest::Certificate::from_der(c).ok()),
            )
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(format!("misskey-rs/{}", crate::VERSION))
            .build()
            .map_err(|e| format!("drive.s3: {e}"))?;
        Ok(Bucket {
            bucket,
            creds: Credentials::new(cfg.access_key.clone(), cfg.secret_key.clone()),
            prefix: cfg.prefix.clone(),
            public_read: cfg.public_read,
            http,
        })
    }

    pub fn describe(&self) -> String {
        format!("bucket {} at {}", self.bucket.name(), self.bucket.base_url())
    }

    fn object(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    pub async fn check(&self) -> Result<(), String> {
        let url = HeadBucket::new(&self.bucket, Some(&self.creds)).sign(SIGNED_FOR);
        let res = self
            .http
            .head(url)
            .send()
            .await
            .map_err(|e| format!("{}: {}", self.describe(), e.without_url()))?;
        match res.status() {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Err(format!("{}: there is no such bucket", self.describe())),
            s @ (StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) => {
                Err(format!("{}: {s}, the access key or secret is refused", self.describe()))
            }
            s => Err(format!("{}: answered {s}", self.describe())),
        }
    }

    fn put(&self, key: &str, meta: Meta<'_>, len: u64) -> reqwest::RequestBuilder {
        let object = self.object(key);
        let mut action = PutObject::new(&self.bucket, Some(&self.creds), &object);
        if self.public_read {
            // An x-amz- header must be signed to be taken.
            action.headers_mut().insert("x-amz-acl", "public-read");
        }
        let url = action.sign(SIGNED_FOR);
        let (mime, disposition) = crate::media::served_as(meta.mime, meta.name);
        let mut req = self.http.put(url);
        if self.public_read {
            req = req.header("x-amz-acl", "public-read");
        }
        req.header(header::CONTENT_TYPE, mime)
            .header(header::CONTENT_DISPOSITION, disposition)
            .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .header(header::CONTENT_LENGTH, len)
            // Sending a large file takes as long as it takes; stalls are caught by the read timeout.
            .timeout(Duration::from_secs(3600))
    }

    async fn sent(&self, key: &str, req: reqwest::RequestBuilder) -> io::Result<()> {
        let res = req.send().await.map_err(unsent)?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(failed("storing", key, res.status()))
        }
    }

    pub async fn put_file(&self, key: &str, path: &Path, meta: Meta<'_>) -> io::Result<()> {
        let file = tokio::fs::File::open(path).await?;
        let len = file.metadata().await?.len();
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024));
        self.sent(key, self.put(key, meta, len).body(body)).await
    }

    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>, meta: Meta<'_>) -> io::Result<()> {
        let len = bytes.len() as u64;
        self.sent(key, self.put(key, meta, len).body(bytes)).await
    }

    pub async fn delete(&self, key: &str) -> io::Result<()> {
        let object = self.object(key);
        let url = DeleteObject::new(&self.bucket, Some(&self.creds), &object).sign(SIGNED_FOR);
        let res = self.http.delete(url).send().await.map_err(unsent)?;
        match res.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(failed("deleting", key, s)),
        }
    }

    fn get(&self, key: &str) -> reqwest::RequestBuilder {
        let object = self.object(key);
        let url = GetObject::new(&self.bucket, Some(&self.creds), &object).sign(SIGNED_FOR);
        self.http.get(url)
    }

    /// As [`super::Storage::open`]; `None` when the bucket has no such object.
    pub async fn open(&self, key: &str, range: Option<&str>) -> io::Result<Option<Result<Object, u64>>> {
        let mut req = self.get(key);
        // Only a single range this server would serve itself is passed on.
        if let Some(r) = range.filter(|r| matches!(resolve_range(r, u64::MAX), Range::Part(..))) {
            req = req.header(header::RANGE, r);
        }
        let res = req.send().await.map_err(unsent)?;
        let total = |res: &reqwest::Response| -> Option<(u64, u64, u64)> {
            // "bytes first-last/len" or "bytes */len".
            let v = res.headers().get(header::CONTENT_RANGE)?.to_str().ok()?.strip_prefix("bytes ")?;
            let (span, len) = v.split_once('/')?;
            let len = len.trim().parse::<u64>().ok()?;
            let (a, b) = span.split_once('-').unwrap_or(("0", "0"));
            Some((a.trim().parse().unwrap_or(0), b.trim().parse().unwrap_or(0), len))
        };
        let (len, start, count, partial) = match res.status() {
            // AWS answers 403 for a missing key to credentials that may not list the bucket.
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => return Ok(None),
            StatusCode::RANGE_NOT_SATISFIABLE => return Ok(Some(Err(total(&res).map_or(0, |t| t.2)))),
            StatusCode::PARTIAL_CONTENT => {
                let (a, b, len) = total(&res).ok_or_else(|| failed("reading", key, res.status()))?;
                (len, a, b.saturating_add(1).saturating_sub(a), true)
            }
            StatusCode::OK => {
                let len = res.content_length().ok_or_else(|| failed("reading", key, res.status()))?;
                (len, 0, len, false)
            }
            s => return Err(failed("reading", key, s)),
        };
        let body = if count <= READ_AT_ONCE {
            Body::Bytes(res.bytes().await.map_err(unsent)?.to_vec())
        } else {
            Body::Stream(Box::pin(res.bytes_stream().map_err(unsent)))
        };
        Ok(Some(Ok(Object { len, start, count, partial, body })))
    }

    /// A whole object, or `None` when the bucket has no such object.
    pub async fn read(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        let res = self.get(key).send().await.map_err(unsent)?;
        match res.status() {
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => Ok(None),
            s if s.is_success() => Ok(Some(res.bytes().await.map_err(unsent)?.to_vec())),
            s => Err(failed("reading", key, s)),
        }
    }
}
