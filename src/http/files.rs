//! `/files/{key}`: stored drive files. Keys are random and a stored object never changes, so
//! answers are cacheable forever; ranges are served for media players; a type a browser could
//! run (HTML, SVG, anything unknown) is only ever downloaded, never shown inline, and runs in a
//! sandbox even if opened.

use crate::db::schema::drive_files;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// What is served with a stored original: its type, name and MD5, by key (keys never change
/// meaning, so this only ever holds true answers; a deleted file's bytes are gone from the store).
static ORIGINALS: LazyLock<Mutex<HashMap<String, Described>>> = LazyLock::new(Default::default);

/// Type, name and entity tag.
type Described = (String, String, String);
const ORIGINALS_KEPT: usize = 10_000;

async fn describe(state: &AppState, key: &str) -> Option<Described> {
    if let Some(k) = key.strip_prefix("thumbnail-").or_else(|| key.strip_prefix("webpublic-")) {
        return k.ends_with(".webp").then(|| ("image/webp".into(), key.to_string(), key.to_string()));
    }
    if let Some(hit) = ORIGINALS.lock().ok().and_then(|m| m.get(key).cloned()) {
        return Some(hit);
    }
    let mut conn = state.db.get().await.ok()?;
    let (t, name, md5): (String, String, String) = drive_files::table
        .filter(drive_files::access_key.eq(key))
        .select((drive_files::type_, drive_files::name, drive_files::md5))
        .first(&mut conn)
        .await
        .ok()?;
    if let Ok(mut m) = ORIGINALS.lock() {
        if m.len() >= ORIGINALS_KEPT {
            m.clear();
        }
        m.insert(key.to_string(), (t.clone(), name.clone(), md5.clone()));
    }
    Some((t, name, md5))
}

pub async fn serve(state: web::Data<AppState>, req: HttpRequest, key: web::Path<String>) -> HttpResponse {
    let key = key.into_inner();
    if !crate::storage::valid_key(&key) {
        return HttpResponse::NotFound().finish();
    }
    let Some((mime, name, tag)) = describe(&state, &key).await else {
        return HttpResponse::NotFound().finish();
    };
    let etag = format!("\"{tag}\"");
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish();
    }
    let range = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok());
    let obj = match state.drive.storage.open(&key, range).await {
        Ok(Some(Ok(o))) => o,
        Ok(Some(Err(len))) => {
            return HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
                .finish()
        }
        Ok(None) => return HttpResponse::NotFound().finish(),
        Err(e) => {
            tracing::warn!(key = %key, error = %e, "stored file unreadable");
            return HttpResponse::InternalServerError().finish();
        }
    };
    let (served_type, disposition) = crate::media::served_as(&mime, &name);
    let mut res = if obj.partial {
        let mut r = HttpResponse::PartialContent();
        let last = (obj.start + obj.count).saturating_sub(1);
        r.insert_header((header::CONTENT_RANGE, format!("bytes {}-{last}/{}", obj.start, obj.len)));
        r
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CONTENT_TYPE, served_type))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
        ))
        // Media is already compressed; compressing it again would also break ranges.
        .insert_header(header::ContentEncoding::Identity)
        .no_chunking(obj.count);
    match obj.body {
        crate::storage::Body::Bytes(b) => res.body(b),
        crate::storage::Body::File(f) => {
            res.streaming(tokio_util::io::ReaderStream::with_capacity(f, 64 * 1024))
        }
        crate::storage::Body::Stream(s) => res.streaming(s),
    }
}
