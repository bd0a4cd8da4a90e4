//! The embedded web UI: how its files are served (compressed twins, caching, client routes,
//! the paths that keep their meaning) and, in Debian's Chromium, the whole first-run-to-reply
//! walk through it (tests/ui/e2e.mjs).

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

/// An instance waiting for its first administrator, without rate limits.
fn init_for_setup(tag: &str) -> (Instance, String) {
    let (inst, token) = Instance::init_for_setup(tag);
    (inst.without_rate_limits(), token)
}

async fn get_with(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut r = client().get(url);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn the_ui_is_served_from_the_binary() {
    install_crypto();
    let (inst, _token) = init_for_setup("web_ui_files");
    let base = inst.base();
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;

    // The page: revalidated, with a CSP that allows no inline script.
    let r = get_with(&format!("{base}/"), &[("accept", "text/html")]).await;
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/html"));
    assert_eq!(header(&r, "cache-control"), "no-cache");
    assert!(header(&r, "content-security-policy").contains("script-src 'self'"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<div id=\"app\">"), "{html}");
    let script = html.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("a script").to_string();
    assert!(script.starts_with("/assets/") && script.ends_with(".js"), "{script}");

    // A hashed file: cached for good, sent as its brotli twin, else gzip, else as it is.
    let br = get_with(&format!("{base}{script}"), &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(br.status(), 200);
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(header(&br, "cache-control"), "public, max-age=31536000, immutable");
    assert!(header(&br, "content-type").starts_with("text/javascript"));
    let etag = header(&br, "etag");
    let br_len = br.bytes().await.unwrap().len();
    let gz = get_with(&format!("{base}{script}"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    let plain = get_with(&format!("{base}{script}"), &[("accept-encoding", "br;q=0, identity")]).await;
    assert_eq!(header(&plain, "content-encoding"), "");
    let plain_len = plain.bytes().await.unwrap().len();
    assert!(br_len * 2 < plain_len, "brotli {br_len} vs {plain_len}");
    let again =
        get_with(&format!("{base}{script}"), &[("accept-encoding", "br"), ("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);

    // Client routes are the UI for a browser; the server's own paths keep their meaning.
    for path in ["/notes/nosuchnote", "/@nobody", "/@someone@example.com", "/settings", "/my/notifications"] {
        let r = get_with(&format!("{base}{path}"), &[("accept", "text/html,application/xhtml+xml")]).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.text().await.unwrap().contains("<div id=\"app\">"), "{path}");
    }
    let r = get_with(&format!("{base}/notes/nosuchnote"), &[("accept", "application/activity+json")]).await;
    assert_eq!(r.status(), 404);
    for path in ["/nosuchfile.js", "/assets/nosuch.js", "/../Cargo.toml", "/.env"] {
        let r = get_with(&format!("{base}{path}"), &[("accept", "*/*")]).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = client().post(format!("{base}/nosuchpath")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let (s, meta) = api(&base, "meta", serde_json::json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(meta["requireSetup"], true);
    let r = get_with(&format!("{base}/manifest.webmanifest"), &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/manifest+json");
    let r = get_with(&format!("{base}/.well-known/nodeinfo"), &[("accept", "text/html")]).await;
    assert!(header(&r, "content-type").contains("json"), "well-known paths stay JSON");
    drop(server);
}

#[tokio::test]
async fn a_ui_directory_replaces_the_embedded_one() {
    install_crypto();
    let (inst, _token) = init_for_setup("web_ui_dir");
    let config = inst.config.clone();
    let ui = inst.dir.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>misskey-rs</title><p>themed</p>").unwrap();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replacen("[http]", &format!("[http]\nui_dir = {:?}", ui.to_str().unwrap()), 1);
    std::fs::write(&config, &text).unwrap();
    let base = inst.base();
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let r = get_with(&format!("{base}/settings"), &[("accept", "text/html")]).await;
    assert!(r.text().await.unwrap().contains("themed"));
    drop(server);

    // A directory without a UI is a clear configuration error.
    std::fs::remove_file(ui.join("index.html")).unwrap();
    let (ok, _, err) = run(&["--config", config.to_str().unwrap(), "config", "show"]);
    assert!(!ok && err.contains("http.ui_dir"), "{err}");
}

#[tokio::test]
async fn first_run_to_a_reply_in_a_browser() {
    install_crypto();
    let (inst, token) = init_for_setup("web_ui_e2e");
    // The browser opens the server at its configured URL: files and avatars are served there,
    // and the page's Content-Security-Policy allows images from its own origin only.
    let base = inst.base().replace("127.0.0.1", "localhost");
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    // A server met before, for the admin screen's federation table (blocked and unblocked).
    let db = &inst.db.as_ref().expect("a database").url;
    psql(db, "INSERT INTO instances (host) VALUES ('remote.example')");

    let ui_tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    if !ui_tests.join("node_modules/playwright-core").exists() {
        let ok = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&ui_tests).status();
        assert!(ok.is_ok_and(|s| s.success()), "npm ci in tests/ui failed");
    }
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "the browser test needs Debian's chromium (apt-get install chromium; tests/run-all.sh installs it)"
    );
    let shots = std::env::var("MKRS_UI_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| inst.dir.path().join("screenshots"));
    let out = tokio::process::Command::new("node")
        .arg(ui_tests.join("e2e.mjs"))
        .args([base.as_str(), token.as_str(), shots.to_str().unwrap()])
        .output()
        .await
        .expect("node runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser walk failed:\n{text}\nserver log:\n{}", server.log_text());
    eprintln!("{text}");
}
