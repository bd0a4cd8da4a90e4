//! The misskey-js contract: JSON the server sends is type-checked against the entity types of
//! the misskey-js package (pinned in tests/contract/package.json), the definitions every
//! Misskey client is written against. Missing fields, wrong types and extra fields all fail.
//! The same samples are compared with snapshots (tests/contract/snapshots), so a change of
//! shape that the types allow (an optional field dropped, a value written differently) is seen
//! too; `MKRS_UPDATE_SNAPSHOTS=1` writes them anew.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A sample with what differs from run to run replaced by placeholders: the server's port, ids,
/// timestamps and invitation codes.
fn normalize(port: &str, key: &str, v: &Value) -> Value {
    fn text(port: &str, s: &str) -> String {
        if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
            return "<date>".into();
        }
        // Ids are 16 base-36 digits (`aidx`), standing alone or inside a URL.
        let s = s.replace(&format!(":{port}"), ":<port>");
        let mut out = String::new();
        let mut run = String::new();
        for c in s.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() || c.is_ascii_lowercase() {
                run.push(c);
                continue;
            }
            out += if run.len() == 16 { "<id>" } else { &run };
            run.clear();
            out.push(c);
        }
        out.pop();
        out
    }
    match v {
        Value::String(_) if key == "code" => json!("<code>"),
        Value::String(s) => Value::String(text(port, s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| normalize(port, key, x)).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (text(port, k), normalize(port, k, x))).collect())
        }
        other => other.clone(),
    }
}

/// Compares the samples, normalized, with tests/contract/snapshots/`name`.json.
fn check_snapshot(name: &str, base: &str, samples: &[(&str, &str, Value)]) {
    let port = base.rsplit(':').next().unwrap();
    let got: Vec<Value> = samples
        .iter()
        .map(|(t, n, v)| json!({ "type": t, "name": n, "value": normalize(port, "", v) }))
        .collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/contract/snapshots/{name}.json"));
    if std::env::var_os("MKRS_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
        return;
    }
    let want: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("{} is missing: MKRS_UPDATE_SNAPSHOTS=1 cargo test --test contract writes it", path.display())
    }))
    .unwrap();
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(
            w, g,
            "snapshot {name}: {} from {} changed (MKRS_UPDATE_SNAPSHOTS=1 writes the new one)",
            g["type"], g["name"]
        );
    }
    assert_eq!(want.len(), got.len(), "snapshot {name}: the number of samples changed");
}

#[tokio::test]
async fn meta_matches_misskey_js_types() {
    let inst = Instance::init("contract_meta");
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let (_, detailed) = api(&server.base, "meta", json!({})).await;
    let (_, lite) = api(&server.base, "meta", json!({ "detail": false })).await;
    let samples = [("MetaDetailed", "meta", detailed), ("MetaLite", "meta detail=false", lite)];
    check_contract(&samples);
    check_snapshot("meta", &server.base, &samples);
}

/// [`common::call`] that must succeed.
async fn ok(base: &str, ep: &str, token: &str, body: Value) -> Value {
    let (s, v) = call(base, ep, token, body).await;
    assert!(s == 200 || s == 204, "{ep}: {s} {v}");
    v
}

#[tokio::test]
async fn packed_entities_match_misskey_js_types() {
    let inst = Instance::init("contract_entities");
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let created =
        ok(b, "admin/accounts/create", &admin, json!({ "username": "alice", "password": "password123" }))
            .await;
    let (alice, at) =
        (created["id"].as_str().unwrap().to_string(), created["token"].as_str().unwrap().to_string());
    ok(
        b,
        "i/update",
        &at,
        json!({ "name": "Alice", "description": "hi", "fields": [{ "name": "a", "value": "b" }] }),
    )
    .await;
    ok(b, "following/create", &admin, json!({ "userId": alice })).await;
    let note = ok(
        b,
        "notes/create",
        &at,
        json!({ "text": "hello @admin #tag", "poll": { "choices": ["a", "b"], "expiredAfter": 1000 } }),
    )
    .await;
    let nid = note["createdNote"]["id"].as_str().unwrap().to_string();
    let plain = ok(b, "notes/create", &at, json!({ "text": "plain", "visibility": "home" })).await;
    ok(b, "notes/polls/vote", &admin, json!({ "noteId": nid, "choice": 0 })).await;
    ok(b, "notes/reactions/create", &admin, json!({ "noteId": nid, "reaction": "👍" })).await;
    let quote = ok(b, "notes/create", &admin, json!({ "text": "quote", "renoteId": nid, "cw": "cw" })).await;
    ok(b, "notes/favorites/create", &admin, json!({ "noteId": nid })).await;
    ok(b, "i/pin", &at, json!({ "noteId": nid })).await;
    let list = ok(b, "users/lists/create", &admin, json!({ "name": "friends" })).await;
    ok(b, "users/lists/push", &admin, json!({ "listId": list["id"], "userId": alice })).await;
    let list = ok(b, "users/lists/show", &admin, json!({ "listId": list["id"] })).await;
    let me = ok(b, "i", &admin, json!({})).await;
    let other = ok(b, "users/show", &admin, json!({ "userId": alice })).await;
    // A specified note pinned where a stranger sees it: packed hidden.
    let secret = json!({ "text": "secret", "visibility": "specified", "visibleUserIds": [me["id"]] });
    let secret = ok(b, "notes/create", &at, secret).await;
    ok(b, "i/pin", &at, json!({ "noteId": secret["createdNote"]["id"] })).await;
    let (_, seen) = api(b, "users/show", json!({ "userId": alice })).await;
    let hidden = seen["pinnedNotes"].as_array().unwrap().iter().find(|n| n["isHidden"] == true).cloned();
    let hidden = hidden.unwrap_or_else(|| panic!("no hidden pinned note: {seen}"));
    ok(b, "i/unpin", &at, json!({ "noteId": secret["createdNote"]["id"] })).await;
    ok(b, "notes/delete", &at, json!({ "noteId": secret["createdNote"]["id"] })).await;
    // The poll closes in the background: wait for its pollEnded notification.
    let mut notifications = Value::Null;
    for _ in 0..50 {
        notifications = ok(b, "i/notifications", &at, json!({})).await;
        if notifications.as_array().unwrap().iter().any(|n| n["type"] == "pollEnded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let grouped = ok(b, "i/notifications-grouped", &at, json!({})).await;
    let reactions = ok(b, "notes/reactions", &admin, json!({ "noteId": nid })).await;
    let following = ok(b, "users/following", &admin, json!({ "userId": me["id"] })).await;
    let favorites = ok(b, "i/favorites", &admin, json!({})).await;
    let mut samples: Vec<(&str, &str, Value)> = vec![
        ("MeDetailed", "i", me),
        ("UserDetailedNotMe", "users/show", other.clone()),
        ("UserLite", "note.user", quote["createdNote"]["user"].clone()),
        ("Note", "quote with renote", quote["createdNote"].clone()),
        ("Note", "note with poll", note["createdNote"].clone()),
        ("Note", "plain note", plain["createdNote"].clone()),
        ("UserList", "users/lists/show", list),
        ("Following", "users/following", following[0].clone()),
        ("NoteFavorite", "i/favorites", favorites[0].clone()),
        ("NoteReaction", "notes/reactions", reactions[0].clone()),
        ("Note", "hidden specified note", hidden),
    ];
    let mut me_signup = created.clone();
    me_signup.as_object_mut().unwrap().remove("token");
    samples.push(("MeDetailed", "admin/accounts/create", me_signup));
    for n in notifications.as_array().unwrap() {
        samples.push(("Notification", "i/notifications", n.clone()));
    }
    for n in grouped.as_array().unwrap() {
        samples.push(("Notification", "i/notifications-grouped", n.clone()));
    }
    ok(b, "mute/create", &admin, json!({ "userId": alice })).await;
    let mutes = ok(b, "mute/list", &admin, json!({})).await;
    samples.push(("Muting", "mute/list", mutes[0].clone()));
    ok(b, "blocking/create", &admin, json!({ "userId": alice })).await;
    let blocks = ok(b, "blocking/list", &admin, json!({})).await;
    samples.push(("Blocking", "blocking/list", blocks[0].clone()));
    let codes = ok(b, "admin/invite/create", &admin, json!({ "count": 2, "expiresAt": "2999-01-01" })).await;
    let signup =
        json!({ "username": "invited", "password": "password123", "invitationCode": codes[0]["code"] });
    assert_eq!(api(b, "signup", signup).await.0, 200);
    // One used code (with usedBy) and one unused.
    for c in ok(b, "admin/invite/list", &admin, json!({})).await.as_array().unwrap() {
        samples.push(("InviteCode", "admin/invite/list", c.clone()));
    }
    // (QueueJob is left out: misskey-js types its `data` as an empty record, which no real
    // job's payload is.)
    samples.push((
        "AdminQueueStatsResponse",
        "admin/queue/stats",
        ok(b, "admin/queue/stats", &admin, json!({})).await,
    ));
    let settings = json!({
        "shortName": "mk", "iconUrl": "https://example.com/icon.png", "themeColor": "#86b300",
        "tosUrl": "https://example.com/tos", "defaultLightTheme": "{ id: 'x' }",
        "prohibitedWords": ["buy cheap", "/sp[a4]m/i"], "pinnedUsers": ["@alice"],
        "serverRules": ["Be kind"],
    });
    assert_eq!(call(b, "admin/update-meta", &admin, settings).await.0, 204);
    let mut admin_meta = ok(b, "admin/meta", &admin, json!({})).await;
    // misskey-js types `policies` as an empty record (its schema has no properties), which the
    // full base policies Misskey answers cannot fit; they are checked as RolePolicies instead.
    samples.push(("RolePolicies", "admin/meta policies", admin_meta["policies"].take()));
    admin_meta["policies"] = json!({});
    samples.push(("AdminMetaResponse", "admin/meta", admin_meta));
    let ann =
        json!({ "title": "News", "text": "hi", "imageUrl": "https://example.com/a.png", "userId": alice });
    ok(b, "admin/announcements/create", &admin, ann).await;
    ok(b, "admin/announcements/create", &admin, json!({ "title": "All", "text": "hi" })).await;
    for a in ok(b, "announcements", &at, json!({})).await.as_array().unwrap() {
        samples.push(("Announcement", "announcements", a.clone()));
    }
    samples.push(("MeDetailed", "i with unread announcements", ok(b, "i", &at, json!({})).await));
    let role = json!({ "name": "r", "target": "conditional", "color": "#86b300", "isPublic": true, "isExplorable": true,
        "condFormula": { "id": "a", "type": "and", "values": [{ "id": "b", "type": "isLocal" },
            { "id": "c", "type": "createdMoreThan", "sec": 0 }] },
        "policies": { "pinLimit": { "useDefault": false, "priority": 1, "value": 9 } } });
    let role = ok(b, "admin/roles/create", &admin, role).await;
    samples.push((
        "Role",
        "admin/roles/show",
        ok(b, "admin/roles/show", &admin, json!({ "roleId": role["id"] })).await,
    ));
    let manual = json!({ "name": "m", "isPublic": true, "isExplorable": true, "asBadge": true,
        "iconUrl": "https://example.com/badge.png" });
    let manual = ok(b, "admin/roles/create", &admin, manual).await;
    ok(b, "admin/roles/assign", &admin, json!({ "roleId": manual["id"], "userId": alice })).await;
    let given = ok(b, "i/notifications", &at, json!({ "includeTypes": ["roleAssigned"] })).await;
    samples.push(("Notification", "i/notifications roleAssigned", given[0].clone()));
    let badged = ok(b, "notes/create", &at, json!({ "text": "with a badge" })).await;
    assert_eq!(badged["createdNote"]["user"]["badgeRoles"][0]["name"], json!("m"), "{badged}");
    samples.push(("UserLite", "note.user with a badge", badged["createdNote"]["user"].clone()));
    let role_notes = ok(b, "roles/notes", &at, json!({ "roleId": manual["id"] })).await;
    samples.push(("Note", "roles/notes", role_notes[0].clone()));
    for r in ok(b, "roles/list", &at, json!({})).await.as_array().unwrap() {
        samples.push(("Role", "roles/list", r.clone()));
    }
    let holders = ok(b, "roles/users", &at, json!({ "roleId": manual["id"] })).await;
    samples.push(("UserDetailed", "roles/users", holders[0]["user"].clone()));
    check_contract(&samples);
    check_snapshot("entities", b, &samples);
}

/// A client session through the misskey-js SDK itself (tests/contract/sdk.mjs): signup, follow,
/// post, reply, react, timelines, notifications and error objects.
#[tokio::test]
async fn misskey_js_sdk_session() {
    let inst = Instance::init("contract_sdk");
    let (server, admin) = serve_signed_in(&inst).await;
    node("sdk.mjs", &[&server.base, &admin]);
}

/// Runs a script of tests/contract with node; its output, or a panic with it when it fails.
fn node(script: &str, args: &[&str]) -> String {
    let out = Command::new("node").arg(contract_dir().join(script)).args(args).output().expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{script} failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("{text}");
    text
}

/// The streaming API through misskey-js's `Stream` class (tests/contract/stream.mjs): a
/// followee's note on homeTimeline within a second, a mention on main, a reaction as
/// `noteUpdated` and as a notification, `readNotification`; what arrived fits misskey-js's types.
#[tokio::test]
async fn misskey_js_stream_session() {
    let inst = Instance::init("contract_stream");
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let tokens = [user(b, &admin, "alice").await, user(b, &admin, "bob").await];
    assert_eq!(call(b, "following/create", &tokens[1].1, json!({ "userId": tokens[0].0 })).await.0, 200);
    let text = node("stream.mjs", &[b, &tokens[0].1, &tokens[1].1]);
    let samples: Vec<Value> = text
        .lines()
        .find_map(|l| l.strip_prefix("SAMPLES "))
        .map(|j| serde_json::from_str(j).unwrap())
        .expect("the session printed what arrived");
    let samples: Vec<(&str, &str, Value)> = samples
        .iter()
        .map(|s| (s["type"].as_str().unwrap(), s["name"].as_str().unwrap(), s["value"].clone()))
        .collect();
    check_contract(&samples);
}
