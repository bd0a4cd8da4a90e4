//! The web UI: the build of `assets/` (`assets/dist`, made by `build.rs`) inside the binary, or
//! the directory `http.ui_dir` names. Hashed files under `/assets/` are cached for good, the rest
//! is revalidated; each file goes out as its brotli or gzip twin when the browser takes it (made
//! at build time, never per request). A browser opening a client route (`/notes/…`, `/@alice`,
//! `/settings`) gets `index.html`; other unknown paths stay 404.

use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::Embed;
use std::borrow::Cow;

#[derive(Embed)]
#[folder = "assets/dist"]
struct Dist;

struct Asset {
    bytes: Cow<'static, [u8]>,
    etag: String,
}

/// A file of the UI by its path below the root (`index.html`, `assets/index-abc.js`).
fn asset(state: &AppState, path: &str) -> Option<Asset> {
    if !safe(path) {
        return None;
    }
    match &state.config.http.ui_dir {
        None => Dist::get(path)
            .map(|f| Asset { etag: format!("\"{}\"", hex(&f.metadata.sha256_hash()[..12])), bytes: f.data }),
        Some(dir) => {
            let full = dir.join(path);
            let meta = std::fs::metadata(&full).ok().filter(|m| m.is_file())?;
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let bytes = std::fs::read(&full).ok()?;
            Some(Asset { etag: format!("\"{:x}-{modified:x}\"", bytes.len()), bytes: Cow::Owned(bytes) })
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Paths the UI's files can have: no `..`, no hidden files, a plain alphabet.
fn safe(path: &str) -> bool {
    !path.is_empty()
        && path.len() < 200
        && path.split('/').all(|seg| !seg.is_empty() && !seg.starts_with('.'))
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/'))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The encodings the browser takes, best first, among those the build made.
fn encodings(req: &HttpRequest) -> Vec<(&'static str, &'static str)> {
    let accept = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    let takes = |name: &str| {
        accept.split(',').any(|part| {
            let mut it = part.split(';');
            it.next().is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
                && !it.any(|p| {
                    matches!(p.trim().replace(' ', "").as_str(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000")
                })
        })
    };
    [("br", ".br"), ("gzip", ".gz")].into_iter().filter(|(n, _)| takes(n)).collect()
}

fn file_response(state: &AppState, req: &HttpRequest, path: &str) -> Option<HttpResponse> {
    let plain = asset(state, path)?;
    let immutable = path.starts_with("assets/");
    // Only the build's own twins: in a directory a twin may be older than a file edited by hand
    // (the compression middleware compresses what is served from there).
    let twins = if state.config.http.ui_dir.is_none() { encodings(req) } else { Vec::new() };
    let (body, encoding) = twins
        .into_iter()
        .find_map(|(name, ext)| asset(state, &format!("{path}{ext}")).map(|a| (a.bytes, Some(name))))
        .unwrap_or((plain.bytes, None));
    let etag = match encoding {
        Some(e) => format!("{}-{e}\"", plain.etag.trim_end_matches('"')),
        None => plain.etag,
    };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::CONTENT_TYPE, content_type(path)))
        .insert_header((header::ETAG, etag))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((
            header::CACHE_CONTROL,
            if immutable { "public, max-age=31536000, immutable" } else { "no-cache" },
        ));
    if let Some(e) = encoding {
        res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(e)));
    }
    Some(if unchanged { res.finish() } else { res.body(body) })
}

/// Whether the request is a browser opening a page.
fn wants_page(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// Every GET that no other route answers: a file of the UI, or the UI itself for a page.
pub async fn serve(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if req.method() != actix_web::http::Method::GET && req.method() != actix_web::http::Method::HEAD {
        return HttpResponse::NotFound().finish();
    }
    let path = req.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if let Some(res) = file_response(&state, &req, path) {
        return res;
    }
    if wants_page(&req) && !path.starts_with("assets/") && path != "index.html" {
        return page(&state, &req, None);
    }
    HttpResponse::NotFound().finish()
}

/// What a page says of itself before the UI runs: for link previews and for servers that
/// look for the ActivityStreams form.
pub struct PageMeta<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// The object's ActivityStreams URL.
    pub alternate: &'a str,
}

/// The UI's `index.html` for a client route, with the page's own title and description.
pub fn page(state: &AppState, req: &HttpRequest, meta: Option<PageMeta<'_>>) -> HttpResponse {
    let Some(meta) = meta else {
        let Some(mut res) = file_response(state, req, "index.html") else {
            return HttpResponse::NotFound().finish();
        };
        // The same URL answers ActivityStreams to servers.
        res.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
        return res;
    };
    let Some(index) = asset(state, "index.html") else { return HttpResponse::NotFound().finish() };
    let html = String::from_utf8_lossy(&index.bytes);
    let esc = crate::mfm::to_html::escaped;
    let description: String = meta.description.chars().take(300).collect();
    let head = format!(
        "<meta property=\"og:title\" content=\"{t}\"><meta property=\"og:description\" content=\"{d}\">\
         <meta name=\"description\" content=\"{d}\">\
         <link rel=\"alternate\" type=\"application/activity+json\" href=\"{a}\">",
        t = esc(meta.title),
        d = esc(&description),
        a = esc(meta.alternate),
    );
    // The page's own description replaces the generic one.
    let html = match html.find("<meta name=\"description\"") {
        Some(at) => match html[at..].find('>') {
            Some(end) => format!("{}{}", &html[..at], &html[at + end + 1..]),
            None => html.into_owned(),
        },
        None => html.into_owned(),
    };
    let html = html
        .replacen("<title>misskey-rs</title>", &format!("<title>{}</title>", esc(meta.title)), 1)
        .replacen("</head>", &format!("{head}</head>"), 1);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept"))
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_are_files() {
        assert!(safe("index.html"));
        assert!(safe("assets/index-B0LDGDzz.js"));
        for bad in ["", "../etc/passwd", "assets/../x", ".env", "a//b", "a/.git/x", "a b", "x%2e%2e"] {
            assert!(!safe(bad), "{bad}");
        }
    }

    #[test]
    fn the_build_is_embedded() {
        assert!(Dist::get("index.html").is_some(), "assets/dist/index.html is built into the binary");
        assert!(Dist::iter().any(|p| p.starts_with("assets/") && p.ends_with(".js.br")));
    }
}
