//! `serve` end to end: health endpoints, `meta`, Misskey-format errors, migrations.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn serves_health_meta_and_misskey_errors() {
    let inst = Instance::init("serve");
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    assert_eq!(get(&server.base, "/livez").await.0, 200);

    let (s, meta) = api(&server.base, "meta", json!({})).await;
    assert_eq!(s, 200, "{meta}");
    assert_eq!(meta["uri"], format!("http://localhost:{}", inst.port));
    assert_eq!(meta["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(meta["maxNoteTextLength"], 3000);
    assert_eq!(meta["requireSetup"], false, "init created the admin");
    let (_, lite) = api(&server.base, "meta", json!({"detail": false})).await;
    assert!(lite.get("requireSetup").is_none() && lite.get("features").is_none());
    let (s, via_get) = get(&server.base, "/api/meta?detail=false").await;
    assert_eq!(s, 200, "{via_get}");

    let (s, e) = api(&server.base, "no/such/endpoint", json!({})).await;
    assert_eq!(s, 404);
    assert_eq!(e["error"]["code"], "UNKNOWN_API_ENDPOINT");
    assert_eq!(e["error"]["id"], "2ca3b769-540a-4f08-9dd5-b5a825b6d0f1");

    let (s, e) = api(&server.base, "meta", json!({"detail": "yes"})).await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["code"], "INVALID_PARAM");
    assert_eq!(e["error"]["info"]["param"], "detail");
    let r = client()
        .post(format!("{}/api/meta", server.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    let (s, p) = api(&server.base, "ping", json!({})).await;
    assert_eq!(s, 200);
    assert!(p["pong"].as_i64().unwrap() > 1_700_000_000_000);

    let status = server.stop();
    assert!(status.success(), "serve exits cleanly on SIGTERM");
}

#[tokio::test]
async fn a_fresh_database_is_migrated_by_serve_and_reports_setup() {
    let db = TestDb::new("fresh");
    let dir = TempDir::new("fresh");
    let port = free_port();
    let config = write_config(dir.path(), port, &db.url, &redis_url());
    let (ok, out, _) = run(&["--config", config.to_str().unwrap(), "migrate", "--dry-run"]);
    assert!(ok && out.contains("would apply"), "{out}");
    let server = Server::start(&config, &[], format!("http://127.0.0.1:{port}"));
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    assert!(server.log_text().contains("applied migration"), "each migration is logged");
    let (_, meta) = api(&server.base, "meta", json!({})).await;
    assert_eq!(meta["requireSetup"], true, "no admin yet");
    let (ok, out, _) = run(&["--config", config.to_str().unwrap(), "migrate", "--list"]);
    assert!(ok && out.contains("[x]") && !out.contains("[ ]"), "{out}");

    // Nobody becomes the first administrator without the setup token `serve` logged once.
    let first = json!({ "username": "root", "password": "password123" });
    let (s, r) = api(&server.base, "admin/accounts/create", first.clone()).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("INCORRECT_INITIAL_PASSWORD")), "{r}");
    let log = server.log_text();
    assert_eq!(log.matches("setup_token").count(), 1, "logged once:\n{log}");
    // The log may be coloured: drop the escape sequences.
    let mut plain = String::new();
    let mut in_escape = false;
    for c in log.chars() {
        match (in_escape, c) {
            (false, '\u{1b}') => in_escape = true,
            (true, 'm') => in_escape = false,
            (false, c) => plain.push(c),
            _ => {}
        }
    }
    let token = plain
        .split("setup_token=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphanumeric()).next())
        .filter(|t| t.len() >= 16)
        .unwrap_or_else(|| panic!("no setup token in the log:\n{plain}"))
        .to_string();
    let mut with_token = first;
    with_token["setupPassword"] = json!(token);
    let (s, r) = api(&server.base, "admin/accounts/create", with_token).await;
    assert_eq!(s, 200, "{r} (token {token:?} from:\n{log})");
}

#[tokio::test]
async fn concurrent_migrations_apply_once() {
    let db = TestDb::new("race");
    let dir = TempDir::new("race");
    let config = dir.path().join("c.toml");
    std::fs::write(&config, format!("url = \"http://localhost:1\"\n[database]\nurl = \"{}\"\n", db.url))
        .unwrap();
    let c = config.to_str().unwrap().to_string();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || run(&["--config", &c, "migrate"]))
        })
        .collect();
    let outs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(outs.iter().all(|(ok, _, _)| *ok), "{outs:?}");
    let applied: usize = outs
        .iter()
        .map(|(_, o, _)| {
            o.trim().strip_prefix("applied ").unwrap().split(' ').next().unwrap().parse::<usize>().unwrap()
        })
        .sum();
    let total = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap().count();
    assert_eq!(applied, total, "each migration applied by exactly one process: {outs:?}");
}

#[tokio::test]
async fn metrics_listener_counts_requests_and_wants_its_token() {
    let inst = Instance::init("metrics");
    let mport = free_port();
    let listen = format!("metrics.listen=\"127.0.0.1:{mport}\"");
    let server = Server::start(
        &inst.config,
        &["--set", "metrics.enabled=true", "--set", &listen, "--set", "metrics.token=\"scrape-me\""],
        inst.base(),
    );
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    assert_eq!(api(&server.base, "meta", json!({})).await.0, 200);
    let url = format!("http://127.0.0.1:{mport}/metrics");
    assert_eq!(client().get(&url).send().await.unwrap().status().as_u16(), 401);
    let text = client().get(&url).bearer_auth("scrape-me").send().await.unwrap().text().await.unwrap();
    assert!(text.contains(r#"http_requests_total{route="/api/meta",status="200"} 1"#), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("postgres_up 1") && text.contains("redis_up 1"), "{text}");
    assert!(text.contains("db_pool_connections"), "{text}");
}
