//! What an attacker or a fuzzer sends gets a clear error, and the server process goes on: the
//! same process (pid) answers before and after. Each case below once crashed the server,
//! answered 500, or showed what it should not.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

fn code(r: &(u16, Value)) -> (u16, Option<&str>) {
    (r.0, r.1["error"]["code"].as_str())
}

fn param(r: &(u16, Value)) -> Option<&str> {
    r.1["error"]["info"]["param"].as_str()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|c| if c.is_ascii_alphanumeric() { (c as char).to_string() } else { format!("%{c:02X}") })
        .collect()
}

/// POSTs raw bytes to an endpoint; (status, parsed body).
async fn raw(b: &str, endpoint: &str, body: Vec<u8>) -> (u16, Value) {
    post_raw(b, endpoint, "application/json", body).await
}

#[tokio::test]
async fn hostile_requests_get_clear_errors_and_the_server_goes_on() {
    let inst = Instance::init("hardening").without_rate_limits();
    let (mut server, admin) = serve_signed_in(&inst).await;
    let b = server.base.clone();
    let b = b.as_str();
    let pid = server.child.id();
    let (alice, at) = user(b, &admin, "alice").await;
    let (_, bt) = user(b, &admin, "bob").await;

    // 1. Dates past the end of time: checked, not a panic.
    for poll in [
        json!({ "choices": ["a", "b"], "expiredAfter": i64::MAX }),
        json!({ "choices": ["a", "b"], "expiredAfter": 9_000_000_000_000_000_000u64 }),
        json!({ "choices": ["a", "b"], "expiresAt": i64::MAX }),
        json!({ "choices": ["a", "b"], "expiresAt": i64::MIN }),
    ] {
        let r = call(b, "notes/create", &at, json!({ "text": "poll", "poll": poll })).await;
        assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "{poll}: {}", r.1);
    }
    for (k, v) in
        [("sinceDate", json!(i64::MIN)), ("untilDate", json!(i64::MAX)), ("sinceDate", json!(i64::MAX))]
    {
        let r = call(b, "notes/local-timeline", &at, json!({ k: v })).await;
        assert_eq!(r.0, 200, "{k}={v}: {}", r.1);
    }

    // 2. NUL characters: INVALID_PARAM naming the parameter, for text, names and ids.
    let r = call(b, "notes/create", &at, json!({ "text": "a\u{0}b" })).await;
    assert_eq!((code(&r), param(&r)), ((400, Some("INVALID_PARAM")), Some("text")), "{}", r.1);
    let r = call(b, "i/update", &at, json!({ "name": "\u{0}" })).await;
    assert_eq!((code(&r), param(&r)), ((400, Some("INVALID_PARAM")), Some("name")), "{}", r.1);
    let r = call(b, "notes/children", &at, json!({ "noteId": "\u{0}~" })).await;
    assert_eq!((code(&r), param(&r)), ((400, Some("INVALID_PARAM")), Some("noteId")), "{}", r.1);
    let r =
        call(b, "notes/create", &at, json!({ "text": "ok", "poll": { "choices": ["a", "b\u{0}"] } })).await;
    assert_eq!(param(&r), Some("poll.choices[1]"), "{}", r.1);

    // Bodies that are not what any endpoint takes.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("notes/create", deep.clone().into_bytes()),
        ("notes/create", br#"{"text":"\ud800"}"#.to_vec()),
        ("notes/create", br#"{"text":"\udc00\ud800"}"#.to_vec()),
        ("notes/create", br#"{"text": 1e400}"#.to_vec()),
        ("notes/create", br#"{"text": ["a"], "visibility": {}}"#.to_vec()),
        ("notes/create", b"\xff\xfe not json".to_vec()),
        ("notes/timeline", br#"{"limit": -1}"#.to_vec()),
        ("notes/timeline", br#"{"limit": 18446744073709551616}"#.to_vec()),
        ("notes/timeline", br#"{"limit": 1.5}"#.to_vec()),
        ("users/show", br#"{"userId": null, "username": 5}"#.to_vec()),
        ("notes/polls/vote", br#"{"noteId": "x", "choice": 2147483648}"#.to_vec()),
        ("notes/polls/vote", br#"{"noteId": "x", "choice": -2147483649}"#.to_vec()),
        ("notes/conversation", br#"{"noteId": "x", "offset": 4294967296}"#.to_vec()),
        ("i/update", format!(r#"{{"description": "{}"}}"#, "x".repeat(200_000)).into_bytes()),
        ("meta", b"[]".to_vec()),
        ("meta", b"\"str\"".to_vec()),
    ];
    for (ep, body) in hostile {
        let mut body = body;
        if body.starts_with(b"{") {
            // Signed in: the token goes first in the object.
            let token = format!(r#"{{"i":"{at}","#);
            body = [token.as_bytes(), &body[1..]].concat();
            if body.ends_with(b",}") {
                body.truncate(body.len() - 2);
                body.push(b'}');
            }
        }
        let r = raw(b, ep, body).await;
        assert!(r.0 < 500, "{ep}: {} {}", r.0, r.1);
    }

    // 8. Bounds no real client reaches, each an INVALID_PARAM naming the parameter.
    let many: Vec<String> = (0..101).map(|i| format!("id{i}")).collect();
    for (ep, body, name) in [
        ("users/relation", json!({ "userId": many }), "userId"),
        (
            "notes/create",
            json!({ "text": "x", "visibility": "specified", "visibleUserIds": many }),
            "visibleUserIds",
        ),
        ("notes/conversation", json!({ "noteId": "x", "offset": 101 }), "offset"),
        ("i/update", json!({ "mutedInstances": vec!["a.example"; 1001] }), "mutedInstances"),
    ] {
        let r = call(b, ep, &at, body).await;
        assert_eq!((code(&r), param(&r)), ((400, Some("INVALID_PARAM")), Some(name)), "{ep}: {}", r.1);
    }
    let huge = format!(r#"{{"i":"{at}","text":"{}"}}"#, "x".repeat(300 * 1024));
    let r = raw(b, "notes/create", huge.into_bytes()).await;
    assert_eq!(code(&r), (413, Some("PAYLOAD_TOO_LARGE")), "{}", r.1);

    // 5. The MiAuth page (the UI's) is served only for an http(s) or app callback, and runs
    // no inline script.
    for bad in [
        "javascript:alert(document.cookie)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>x</script>",
        "vbscript:x",
    ] {
        let (s, _) = get(b, &format!("/miauth/sess1?name=x&callback={}", urlencode(bad))).await;
        assert_eq!(s, 400, "{bad}");
    }
    let r =
        client().get(format!("{b}/miauth/sess1?name=x&callback=myapp%3A%2F%2Fdone")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let header = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let csp = header("content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap_or("");
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"<script type="module""#) && !page.contains("<script>"), "{page}");
    let r = call(
        b,
        "app/create",
        &at,
        json!({ "name": "x", "description": "x", "permission": [], "callbackUrl": "javascript:x" }),
    )
    .await;
    assert_eq!((code(&r), param(&r)), ((400, Some("INVALID_PARAM")), Some("callbackUrl")), "{}", r.1);

    // 6. A hidden specified note keeps its addressees to itself.
    let (_, carol_token) = user(b, &admin, "carol").await;
    let (s, n) = call(
        b,
        "notes/create",
        &at,
        json!({ "text": "for bob", "visibility": "specified", "visibleUserIds": [] }),
    )
    .await;
    assert_eq!(s, 200, "{n}");
    let secret = n["createdNote"]["id"].as_str().unwrap().to_string();
    let (s, _) = call(b, "i/pin", &at, json!({ "noteId": secret })).await;
    assert_eq!(s, 200);
    let (_, shown) = call(b, "users/show", &carol_token, json!({ "userId": alice })).await;
    let pinned = &shown["pinnedNotes"][0];
    assert_eq!(pinned["isHidden"], true, "{shown}");
    assert!(pinned.get("visibleUserIds").is_none() && pinned["text"].is_null(), "{pinned}");

    // 7. A suspended account's token reads as anyone at most, and its notes show nowhere.
    let (s, f) = call(b, "following/create", &bt, json!({ "userId": alice })).await;
    assert_eq!(s, 200, "{f}");
    let (_, fo) =
        call(b, "notes/create", &at, json!({ "text": "followers only", "visibility": "followers" })).await;
    let fo = fo["createdNote"]["id"].as_str().unwrap().to_string();
    let (_, pub_note) = call(b, "notes/create", &bt, json!({ "text": "bob in public" })).await;
    let pub_note = pub_note["createdNote"]["id"].as_str().unwrap().to_string();
    let has = |v: &Value, id: &str| v.as_array().is_some_and(|a| a.iter().any(|n| n["id"] == id));
    let (_, notes) = call(b, "users/notes", &bt, json!({ "userId": alice })).await;
    assert!(has(&notes, &fo), "a follower sees the followers-only note: {notes}");
    let (ok, _, err) = inst.cli(&["admin", "user", "suspend", "--username", "bob"]);
    assert!(ok, "{err}");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (_, notes) = call(b, "users/notes", &bt, json!({ "userId": alice })).await;
    assert!(!has(&notes, &fo), "a suspended token reads as anyone: {notes}");
    let (_, ltl) = call(b, "notes/local-timeline", &at, json!({})).await;
    assert!(!has(&ltl, &pub_note), "a suspended author's notes leave the timelines: {ltl}");
    let (_, ltl) = api(b, "notes/local-timeline", json!({})).await;
    assert!(!has(&ltl, &pub_note), "for anonymous viewers too: {ltl}");
    let r = call(b, "notes/show", &at, json!({ "noteId": pub_note })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_NOTE")), "{}", r.1);
    // Lifted: the notes are back.
    psql(&inst.db.as_ref().unwrap().url, "UPDATE users SET is_suspended = false WHERE username = 'bob'");
    let (_, ltl) = call(b, "notes/local-timeline", &at, json!({})).await;
    assert!(has(&ltl, &pub_note), "{ltl}");

    // The process that answered the first request answers the last.
    assert!(server.child.try_wait().unwrap().is_none(), "the server died:\n{}", server.log_text());
    assert_eq!(server.child.id(), pid);
    assert_eq!(get(b, "/livez").await.0, 200);
    let r = call(b, "i", &at, json!({})).await;
    assert_eq!(r.0, 200);
}

#[tokio::test]
async fn sign_in_attempts_are_counted_before_they_are_checked() {
    let inst = Instance::init("hardening_signin");
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    user(b, &admin, "alice").await;
    // Wrong passwords sent at once are limited like wrong passwords sent one by one: ten
    // are checked, the others wait, and so does the right password afterwards.
    let tries = (0..25).map(|_| api(b, "signin-flow", json!({ "username": "alice", "password": "guess" })));
    let statuses: Vec<u16> = futures_util::future::join_all(tries).await.into_iter().map(|r| r.0).collect();
    let checked = statuses.iter().filter(|s| **s == 403).count();
    assert_eq!(checked, 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15, "{statuses:?}");
    let r = api(b, "signin-flow", json!({ "username": "alice", "password": "password123" })).await;
    assert_eq!(code(&r), (429, Some("TOO_MANY_AUTHENTICATION_FAILURES")), "{}", r.1);
}

#[tokio::test]
async fn reads_go_on_while_note_writes_are_stuck() {
    use diesel_async::SimpleAsyncConnection;
    let inst = Instance::init("hardening_stuck").without_rate_limits();
    // A small pool, so that requests holding connections while they wait would drain it.
    let server = Server::start(&inst.config, &["--set", "database.pool_size=3"], inst.base());
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let (_, r) =
        api(&server.base, "signin-flow", json!({ "username": "admin", "password": ADMIN_PASSWORD })).await;
    let admin = r["i"].as_str().unwrap().to_string();
    let b = server.base.clone();
    let (alice, at) = user(&b, &admin, "alice").await;

    // Another session holds alice's row: the writer's counter update for her notes waits.
    let url = inst.db.as_ref().unwrap().url.clone();
    let mut lock = misskey_rs::db::connect(&url).await.unwrap();
    lock.batch_execute(&format!("BEGIN; SELECT 1 FROM users WHERE id = '{alice}' FOR UPDATE")).await.unwrap();
    let writes: Vec<_> = (0..10)
        .map(|k| {
            let (b, at) = (b.clone(), at.clone());
            tokio::spawn(async move {
                call(&b, "notes/create", &at, json!({ "text": format!("stuck {k}") })).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    for _ in 0..5 {
        let (s, r) = api(&b, "notes/local-timeline", json!({})).await;
        assert_eq!(s, 200, "reads answer while writes wait: {r}");
        let (s, r) = call(&b, "i", &admin, json!({})).await;
        assert_eq!(s, 200, "{r}");
    }
    assert!(writes.iter().all(|w| !w.is_finished()), "the writes are still waiting");
    lock.batch_execute("ROLLBACK").await.unwrap();
    for w in writes {
        let (s, r) = w.await.unwrap();
        assert_eq!(s, 200, "each write is stored once the row is free: {r}");
    }
    let (_, notes) = call(&b, "users/notes", &admin, json!({ "userId": alice, "limit": 20 })).await;
    assert_eq!(notes.as_array().map(|a| a.len()), Some(10), "{notes}");
}
