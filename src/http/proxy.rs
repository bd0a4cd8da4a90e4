//! `/proxy/{name}?url=…`: other servers' media shown through this one (Misskey's media
//! proxy, which its clients use for remote avatars, emoji and previews), so readers' browsers
//! never contact those servers. Fetched through the guarded client, only images, video and
//! audio, resized to what the flag asks (`avatar`, `emoji`, `preview`, `static`, `badge`), and
//! kept in a bounded cache on disk (`drive.proxy_cache_mb`; `misskey-rs admin media prune`).

use crate::media::{self, ProxyMode};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

/// Largest remote file the proxy reads.
const MAX_FETCH: u64 = 32 * 1024 * 1024;
/// Fetches under way at once per process (each holds at most [`MAX_FETCH`] in memory); more
/// wait their turn.
static FETCHES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(16);

fn mode_of(q: &HashMap<String, String>) -> ProxyMode {
    let on = |k: &str| q.get(k).is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    if on("badge") {
        ProxyMode::Badge
    } else if on("emoji") {
        ProxyMode::Emoji
    } else if on("avatar") {
        ProxyMode::Avatar
    } else if on("preview") {
        ProxyMode::Preview
    } else if on("static") {
        ProxyMode::Static
    } else {
        ProxyMode::Original
    }
}

/// The proxy's cache directory.
pub fn cache_dir(cfg: &crate::config::Config) -> PathBuf {
    cfg.data_dir.join("cache/proxy")
}

fn refuse(status: u16, why: &str) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .insert_header(("Cache-Control", "max-age=300"))
    .body(why.to_string())
}

fn answer(mime: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime.to_string()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(header::ContentEncoding::Identity)
        .body(body)
}

/// A cached answer: its type on the first line, then the bytes.
async fn cached(path: &Path) -> Option<(String, Vec<u8>)> {
    let all = tokio::fs::read(path).await.ok()?;
    let nl = all.iter().position(|&b| b == b'\n')?;
    let mime = String::from_utf8(all[..nl].to_vec()).ok()?;
    Some((mime, all[nl + 1..].to_vec()))
}

async fn keep(dir: &Path, path: &Path, mime: &str, body: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let tmp = path.with_extension("part");
    let mut data = Vec::with_capacity(mime.len() + 1 + body.len());
    data.extend_from_slice(mime.as_bytes());
    data.push(b'\n');
    data.extend_from_slice(body);
    tokio::fs::write(&tmp, &data).await?;
    tokio::fs::rename(&tmp, path).await
}

/// When the cache was last held to its size, in seconds since the epoch.
static LAST_TRIM: AtomicI64 = AtomicI64::new(0);

/// Removes the least recently written entries until the cache fits `cap` bytes (at most once a
/// minute per process).
async fn trim(dir: PathBuf, cap: u64) {
    let now = chrono::Utc::now().timestamp();
    if now - LAST_TRIM.swap(now, Ordering::Relaxed) < 60 {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        let Ok(rd) = std::fs::read_dir(&dir) else { return };
        let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = rd
            .filter_map(Result::ok)
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((m.modified().ok()?, m.len(), e.path()))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort_by_key(|e| e.0);
        for (_, len, path) in entries {
            if total <= cap {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    })
    .await;
}

pub async fn serve(
    state: web::Data<AppState>,
    fed: web::Data<crate::ap::Federation>,
    req: HttpRequest,
) -> HttpResponse {
    let q: HashMap<String, String> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let Some(url) = q.get("url").filter(|u| u.len() <= 2048) else { return refuse(400, "url is required") };
    let mode = mode_of(&q);
    let key = data_encoding::HEXLOWER.encode(&Sha256::digest(format!("{}\n{url}", mode.key()).as_bytes()));
    let dir = cache_dir(&state.config);
    let path = dir.join(&key);
    if let Some((mime, body)) = cached(&path).await {
        return answer(&mime, body);
    }
    let Ok(_turn) = FETCHES.acquire().await else { return refuse(503, "busy") };
    let mut res = match fed.client.get_file(url).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(url, error = %e, "proxy fetch failed");
            return refuse(
                if matches!(e, crate::ap::client::FetchError::Refused(_)) { 400 } else { 502 },
                "cannot fetch it",
            );
        }
    };
    if res.content_length().is_some_and(|n| n > MAX_FETCH) {
        return refuse(413, "too large");
    }
    let mut bytes = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(c)) => {
                if bytes.len() as u64 + c.len() as u64 > MAX_FETCH {
                    return refuse(413, "too large");
                }
                bytes.extend_from_slice(&c);
            }
            Ok(None) => break,
            Err(_) => return refuse(502, "cannot fetch it"),
        }
    }
    let kind = media::sniff(&bytes[..bytes.len().min(8192)]);
    let mime = kind.mime;
    if !media::is_proxyable(&mime) {
        return refuse(403, "not media");
    }
    let keep_as_is = mode == ProxyMode::Original
        || !media::is_decodable(&mime)
        || (mode != ProxyMode::Static && media::is_animated(&mime, &bytes));
    let (mime, body) = if keep_as_is {
        (mime, bytes)
    } else {
        let dims = match media::dimensions(&mime, &bytes) {
            Ok(d) => d,
            Err(_) => return refuse(422, "unreadable image"),
        };
        let _share = state.drive.pixels.acquire(dims).await;
        let m = mime.clone();
        match tokio::task::spawn_blocking(move || media::proxy_image(&m, &bytes, mode)).await {
            Ok(Ok(out)) if !out.is_empty() => ("image/webp".to_string(), out),
            _ => return refuse(422, "unreadable image"),
        }
    };
    if let Err(e) = keep(&dir, &path, &mime, &body).await {
        tracing::warn!(error = %e, "proxy cache not written");
    }
    tokio::spawn(trim(dir, state.config.drive.proxy_cache_mb.saturating_mul(1024 * 1024)));
    answer(&mime, body)
}

/// Removes cache entries older than `days` (all with 0); answers (entries, bytes). With
/// `dry_run` nothing is removed.
pub fn prune(dir: &Path, days: u64, dry_run: bool) -> std::io::Result<(u64, u64)> {
    let limit = std::time::Duration::from_secs(days.saturating_mul(86_400));
    let (mut n, mut bytes) = (0, 0);
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e),
    };
    for e in rd.filter_map(Result::ok) {
        let Ok(m) = e.metadata() else { continue };
        let old = m.modified().ok().and_then(|t| t.elapsed().ok()).is_none_or(|age| age >= limit);
        if m.is_file() && old {
            if !dry_run {
                std::fs::remove_file(e.path())?;
            }
            n += 1;
            bytes += m.len();
        }
    }
    Ok((n, bytes))
}
