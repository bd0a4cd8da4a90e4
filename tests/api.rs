//! The client API end to end against real PostgreSQL and Redis: accounts, posting, visibility,
//! timelines, follows, blocks, reactions and notifications, including the refusals.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn call(base: &str, ep: &str, token: &str, mut body: Value) -> (u16, Value) {
    body["i"] = json!(token);
    api(base, ep, body).await
}

async fn user(base: &str, admin: &str, name: &str) -> (String, String) {
    let (s, u) =
        call(base, "admin/accounts/create", admin, json!({ "username": name, "password": "password123" }))
            .await;
    assert_eq!(s, 200, "{u}");
    (u["id"].as_str().unwrap().to_string(), u["token"].as_str().unwrap().to_string())
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_session_of_a_misskey_client() {
    let inst = Instance::init("api_session");
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let b = server.base.as_str();

    // Sign-in flow and the native token.
    let (s, r) = api(b, "signin-flow", json!({ "username": "admin" })).await;
    assert_eq!((s, r["finished"].clone()), (200, json!(false)));
    let (s, r) = api(b, "signin-flow", json!({ "username": "admin", "password": "wrong" })).await;
    assert_eq!((s, r["error"]["id"].as_str()), (403, Some("932c904e-9460-45b7-9ce6-7ed33be7eb2c")));
    let (s, r) = api(b, "signin-flow", json!({ "username": "admin", "password": "adminpass123" })).await;
    assert_eq!(s, 200, "{r}");
    let admin = r["i"].as_str().unwrap().to_string();
    let (s, me) = call(b, "i", &admin, json!({})).await;
    assert_eq!((s, me["isAdmin"].clone(), me["username"].clone()), (200, json!(true), json!("admin")));

    // Auth failures.
    let (s, r) = api(b, "i", json!({})).await;
    assert_eq!((s, r["error"]["code"].as_str()), (401, Some("CREDENTIAL_REQUIRED")));
    let (s, r) = api(b, "i", json!({ "i": "nope" })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (401, Some("AUTHENTICATION_FAILED")));
    // After setup, account creation needs an administrator.
    let (s, r) = api(b, "admin/accounts/create", json!({ "username": "x", "password": "password123" })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("ACCESS_DENIED")));

    let (alice, at) = user(b, &admin, "alice").await;
    let (bob, bt) = user(b, &admin, "bob").await;
    let (_carol, ct) = user(b, &admin, "carol").await;

    // Bad input never reaches the database.
    let (s, r) = call(b, "notes/create", &at, json!({ "text": "x".repeat(3001) })).await;
    assert_eq!(
        (s, r["error"]["code"].as_str(), r["error"]["info"]["param"].as_str()),
        (400, Some("INVALID_PARAM"), Some("text"))
    );
    let (s, r) = call(b, "notes/create", &at, json!({ "text": 5 })).await;
    assert_eq!((s, r["error"]["info"]["param"].as_str()), (400, Some("text")));
    let (s, r) = call(b, "notes/create", &at, json!({ "text": "hi", "visibility": "secret" })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("INVALID_PARAM")));
    let (s, r) = call(b, "notes/show", &at, json!({ "noteId": "0000000000000000" })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("NO_SUCH_NOTE")));

    // Bob follows Alice; Alice posts in every visibility.
    let (s, _) = call(b, "following/create", &bt, json!({ "userId": alice })).await;
    assert_eq!(s, 200);
    let (s, r) = call(b, "following/create", &bt, json!({ "userId": alice })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("ALREADY_FOLLOWING")));
    let mut posted = vec![];
    for (vis, extra) in [
        ("public", json!({})),
        ("home", json!({})),
        ("followers", json!({})),
        ("specified", json!({ "visibleUserIds": [bob] })),
    ] {
        let mut body = json!({ "text": format!("{vis} note from alice 今日は晴れ"), "visibility": vis });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let (s, r) = call(b, "notes/create", &at, body).await;
        assert_eq!(s, 200, "{r}");
        posted.push(r["createdNote"]["id"].as_str().unwrap().to_string());
    }
    let (_, home) = call(b, "notes/timeline", &bt, json!({ "limit": 20 })).await;
    let mut expect = posted.clone();
    expect.reverse();
    assert_eq!(ids(&home), expect, "bob sees all four, newest first");
    let (_, local) = api(b, "notes/local-timeline", json!({})).await;
    assert_eq!(ids(&local), vec![posted[0].clone()], "anonymous local timeline: public only");
    for (k, id) in posted.iter().enumerate() {
        let (s, _) = call(b, "notes/show", &ct, json!({ "noteId": id })).await;
        assert_eq!(s, if k < 2 { 200 } else { 400 }, "carol and the {k}th note");
    }
    let (_, carol_view) = call(b, "users/notes", &ct, json!({ "userId": alice })).await;
    assert_eq!(ids(&carol_view).len(), 2);
    // Pagination: untilId and sinceId (ascending) as Misskey answers them.
    let (_, older) = call(b, "notes/timeline", &bt, json!({ "untilId": posted[2] })).await;
    assert_eq!(ids(&older), vec![posted[1].clone(), posted[0].clone()]);
    let (_, newer) = call(b, "notes/timeline", &bt, json!({ "sinceId": posted[1] })).await;
    assert_eq!(ids(&newer), vec![posted[2].clone(), posted[3].clone()]);

    // Reactions from two users at once keep the count right; one per user.
    let note = posted[0].clone();
    let (r1, r2) = tokio::join!(
        call(b, "notes/reactions/create", &bt, json!({ "noteId": note, "reaction": "👍" })),
        call(b, "notes/reactions/create", &ct, json!({ "noteId": note, "reaction": "🎉" })),
    );
    assert_eq!((r1.0, r2.0), (204, 204));
    let (s, r) = call(b, "notes/reactions/create", &bt, json!({ "noteId": note, "reaction": "👍" })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("ALREADY_REACTED")));
    let (_, n) = call(b, "notes/show", &bt, json!({ "noteId": note })).await;
    assert_eq!((n["reactions"].clone(), n["reactionCount"].clone()), (json!({ "👍": 1, "🎉": 1 }), json!(2)));
    assert_eq!(n["myReaction"], json!("👍"));

    // Replies and renotes count, and notify.
    let (_, reply) = call(b, "notes/create", &bt, json!({ "text": "nice", "replyId": note })).await;
    assert_eq!(reply["createdNote"]["reply"]["id"], json!(note));
    let (_, rn) = call(b, "notes/create", &ct, json!({ "renoteId": note })).await;
    assert_eq!(rn["createdNote"]["renote"]["id"], json!(note));
    let (_, n) = call(b, "notes/show", &at, json!({ "noteId": note })).await;
    assert_eq!((n["repliesCount"].clone(), n["renoteCount"].clone()), (json!(1), json!(1)));
    let (_, notes) = call(b, "i/notifications", &at, json!({})).await;
    let kinds: Vec<&str> = notes.as_array().unwrap().iter().map(|n| n["type"].as_str().unwrap()).collect();
    for k in ["follow", "reaction", "reply", "renote"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let (_, me) = call(b, "i", &at, json!({})).await;
    assert_eq!(me["unreadNotificationsCount"], json!(0), "listing marks them read");

    // Search finds Japanese text.
    let (_, found) = call(b, "notes/search", &admin, json!({ "query": "晴れ" })).await;
    assert!(ids(&found).contains(&posted[0]), "{found}");

    // Blocking removes the follow both ways and hides the blocker's notes.
    let (s, _) = call(b, "blocking/create", &at, json!({ "userId": bob })).await;
    assert_eq!(s, 200);
    let (_, rel) = call(b, "users/relation", &bt, json!({ "userId": alice })).await;
    assert_eq!((rel["isFollowing"].clone(), rel["isBlocked"].clone()), (json!(false), json!(true)));
    let (_, u) = call(b, "users/show", &bt, json!({ "userId": alice })).await;
    assert_eq!(u["followersCount"], json!(0));
    let (_, home) = call(b, "notes/timeline", &bt, json!({})).await;
    assert!(ids(&home).iter().all(|id| !posted.contains(id)));
    let (s, r) = call(b, "following/create", &bt, json!({ "userId": alice })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("BLOCKED")));

    // Deleting someone else's note is refused; one's own works and counts go down.
    let (s, r) = call(b, "notes/delete", &ct, json!({ "noteId": note })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("ACCESS_DENIED")));
    let (s, _) = call(b, "notes/delete", &at, json!({ "noteId": note })).await;
    assert_eq!(s, 204);
    let (_, u) = call(b, "users/show", &at, json!({ "userId": alice })).await;
    assert_eq!(u["notesCount"], json!(3));

    // App tokens: MiAuth with read:account only.
    let (s, r) =
        call(b, "miauth/gen-token", &ct, json!({ "session": "sess-1", "permission": ["read:account"] }))
            .await;
    assert_eq!(s, 200, "{r}");
    let (_, check) = api(b, "miauth/sess-1/check", json!({})).await;
    assert_eq!(check["ok"], json!(true));
    let app = check["token"].as_str().unwrap().to_string();
    let (_, again) = api(b, "miauth/sess-1/check", json!({})).await;
    assert_eq!(again["ok"], json!(false), "a session's token is handed out once");
    let (s, _) = call(b, "i", &app, json!({})).await;
    assert_eq!(s, 200);
    let (s, r) = call(b, "notes/create", &app, json!({ "text": "from an app" })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (403, Some("PERMISSION_DENIED")));
    let (s, r) = call(b, "i/regenerate-token", &app, json!({ "password": "password123" })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("ACCESS_DENIED")));

    // The OpenAPI document lists every endpoint.
    let (s, doc) = get(b, "/api.json").await;
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(s, 200);
    assert!(doc["paths"]["/notes/create"]["post"]["requestBody"].is_object());
}
