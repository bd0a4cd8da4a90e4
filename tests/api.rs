//! The client API end to end against real PostgreSQL and Redis: accounts, posting, visibility,
//! timelines, follows, blocks, reactions and notifications, including the refusals.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
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
    let (mut posted, mut created) = (vec![], vec![]);
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
        created.push(r["createdNote"].clone());
    }
    // notes/create answers the note as notes/show packs it for its author.
    for n in &created {
        let (_, shown) = call(b, "notes/show", &at, json!({ "noteId": n["id"] })).await;
        assert_eq!(&shown, n);
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

    // Hashtags: one tag (case folded as stored), or any of groups that need all their tags;
    // replies left out on request; a tag and a query together are refused.
    let created = |v: &serde_json::Value| v["createdNote"]["id"].as_str().unwrap_or_default().to_string();
    let t1 = created(&call(b, "notes/create", &ct, json!({ "text": "#Rust and #web" })).await.1);
    let t2 = created(&call(b, "notes/create", &ct, json!({ "text": "only #rust" })).await.1);
    let t3 = created(&call(b, "notes/create", &ct, json!({ "text": "#cats", "replyId": t1 })).await.1);
    let (_, r) = call(b, "notes/search-by-tag", &bt, json!({ "tag": "RUST" })).await;
    assert_eq!(ids(&r), vec![t2.clone(), t1.clone()], "{r}");
    let groups = json!([["rust", "web"], ["cats"]]);
    let (_, r) = call(b, "notes/search-by-tag", &bt, json!({ "query": groups })).await;
    assert_eq!(ids(&r), vec![t3.clone(), t1.clone()], "{r}");
    let (_, r) = call(b, "notes/search-by-tag", &bt, json!({ "query": groups, "reply": false })).await;
    assert_eq!(ids(&r), vec![t1.clone()], "{r}");
    let (s, r) = call(b, "notes/search-by-tag", &bt, json!({ "tag": "a", "query": [["b"]] })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("INVALID_PARAM")));
    // Completion: hashtags by their start, most used first.
    let (_, r) = call(b, "notes/create", &ct, json!({ "text": "#category" })).await;
    assert!(r["createdNote"].is_object(), "{r}");
    let (_, tags) = call(b, "hashtags/search", &bt, json!({ "query": "#C" })).await;
    assert_eq!(tags, json!(["category", "cats"]));
    let (_, tags) = call(b, "hashtags/search", &bt, json!({ "query": "r", "limit": 1 })).await;
    assert_eq!(tags, json!(["rust"]));
    let (_, tags) = call(b, "hashtags/search", &bt, json!({ "query": "%" })).await;
    assert_eq!(tags, json!([]));

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
    // The account lists its app tokens and revokes one; an app cannot.
    let (s, r) = call(b, "i/apps", &app, json!({})).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("ACCESS_DENIED")));
    let (_, listed) = call(b, "i/apps", &ct, json!({ "sort": "+createdAt" })).await;
    let tokens = listed.as_array().cloned().unwrap_or_default();
    assert_eq!(tokens.len(), 1, "{listed}");
    assert_eq!(tokens[0]["permission"], json!(["read:account"]));
    let (s, _) = call(b, "i/revoke-token", &ct, json!({ "tokenId": tokens[0]["id"] })).await;
    assert_eq!(s, 204);
    let (s, _) = call(b, "i", &app, json!({})).await;
    assert_eq!(s, 401, "a revoked token no longer works");

    // The OpenAPI document lists every endpoint.
    let (s, doc) = get(b, "/api.json").await;
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(s, 200);
    assert!(doc["paths"]["/notes/create"]["post"]["requestBody"].is_object());
}

fn code(r: &(u16, Value)) -> (u16, Option<&str>) {
    (r.0, r.1["error"]["code"].as_str())
}

fn types(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|n| n["type"].as_str().unwrap().to_string()).collect()
}

async fn post(base: &str, token: &str, body: Value) -> String {
    let (s, r) = call(base, "notes/create", token, body).await;
    assert_eq!(s, 200, "{r}");
    r["createdNote"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn lists_mutes_locked_accounts_polls_apps_and_rate_limits() {
    let inst = Instance::init("api_families");
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice, at) = user(b, &admin, "alice").await;
    let (bob, bt) = user(b, &admin, "bob").await;
    let (carol, ct) = user(b, &admin, "carol").await;

    // User lists: members' notes form the list timeline; lists are private to their owner.
    let (s, list) = call(b, "users/lists/create", &at, json!({ "name": "friends" })).await;
    assert_eq!(s, 200, "{list}");
    let lid = list["id"].as_str().unwrap().to_string();
    assert_eq!(call(b, "users/lists/push", &at, json!({ "listId": lid, "userId": bob })).await.0, 204);
    assert_eq!(
        code(&call(b, "users/lists/push", &at, json!({ "listId": lid, "userId": bob })).await),
        (400, Some("ALREADY_ADDED"))
    );
    assert_eq!(
        code(&call(b, "users/lists/push", &at, json!({ "listId": lid, "userId": "0000000000000000" })).await),
        (400, Some("NO_SUCH_USER"))
    );
    assert_eq!(
        code(&call(b, "users/lists/show", &bt, json!({ "listId": lid })).await),
        (400, Some("NO_SUCH_LIST"))
    );
    let bob_note = post(b, &bt, json!({ "text": "bob in a list" })).await;
    let _carol_note = post(b, &ct, json!({ "text": "carol is not" })).await;
    let (_, tl) = call(b, "notes/user-list-timeline", &at, json!({ "listId": lid })).await;
    assert_eq!(ids(&tl), vec![bob_note.clone()]);
    let (_, lists) = call(b, "users/lists/list", &at, json!({})).await;
    assert_eq!(lists[0]["userIds"], json!([bob]));
    let (s, r) = call(b, "users/lists/update", &at, json!({ "listId": lid, "name": "pals" })).await;
    assert_eq!((s, r["name"].as_str()), (200, Some("pals")));
    assert_eq!(call(b, "users/lists/pull", &at, json!({ "listId": lid, "userId": bob })).await.0, 204);
    let (_, tl) = call(b, "notes/user-list-timeline", &at, json!({ "listId": lid })).await;
    assert_eq!(ids(&tl), Vec::<String>::new());
    assert_eq!(call(b, "users/lists/delete", &at, json!({ "listId": lid })).await.0, 204);
    assert_eq!(
        code(&call(b, "users/lists/show", &at, json!({ "listId": lid })).await),
        (400, Some("NO_SUCH_LIST"))
    );

    // Mutes hide a user's notes from timelines and silence their notifications.
    assert_eq!(call(b, "mute/create", &at, json!({ "userId": bob })).await.0, 204);
    assert_eq!(
        code(&call(b, "mute/create", &at, json!({ "userId": bob })).await),
        (400, Some("ALREADY_MUTING"))
    );
    assert_eq!(
        code(&call(b, "mute/create", &at, json!({ "userId": alice })).await),
        (400, Some("MUTEE_IS_YOURSELF"))
    );
    let (_, local) = call(b, "notes/local-timeline", &at, json!({})).await;
    assert!(!ids(&local).contains(&bob_note), "muted author hidden");
    let alice_note = post(b, &at, json!({ "text": "alice speaks" })).await;
    call(b, "notes/reactions/create", &bt, json!({ "noteId": alice_note, "reaction": "👍" })).await;
    let (_, n) = call(b, "i/notifications", &at, json!({})).await;
    assert!(!types(&n).contains(&"reaction".to_string()), "no notification from a muted user: {n}");
    let (_, mutes) = call(b, "mute/list", &at, json!({})).await;
    assert_eq!(mutes[0]["muteeId"], json!(bob));
    assert_eq!(call(b, "mute/delete", &at, json!({ "userId": bob })).await.0, 204);
    let (_, local) = call(b, "notes/local-timeline", &at, json!({})).await;
    assert!(ids(&local).contains(&bob_note));

    // Renote mutes hide only the renotes.
    let renote = post(b, &ct, json!({ "renoteId": bob_note })).await;
    assert_eq!(call(b, "renote-mute/create", &at, json!({ "userId": carol })).await.0, 204);
    let (_, local) = call(b, "notes/local-timeline", &at, json!({ "limit": 50 })).await;
    assert!(!ids(&local).contains(&renote) && ids(&local).contains(&bob_note));
    let (_, rm) = call(b, "renote-mute/list", &at, json!({})).await;
    assert_eq!(rm.as_array().unwrap().len(), 1);

    // A locked account: follows become requests, accepted, rejected or withdrawn.
    let (s, _) = call(b, "i/update", &ct, json!({ "isLocked": true })).await;
    assert_eq!(s, 200);
    let (s, r) = call(b, "following/create", &at, json!({ "userId": carol })).await;
    assert_eq!(s, 200, "{r}");
    let (_, rel) = call(b, "users/relation", &at, json!({ "userId": carol })).await;
    assert_eq!(
        (rel["isFollowing"].clone(), rel["hasPendingFollowRequestFromYou"].clone()),
        (json!(false), json!(true))
    );
    call(b, "following/create", &bt, json!({ "userId": carol })).await;
    let (_, reqs) = call(b, "following/requests/list", &ct, json!({})).await;
    assert_eq!(reqs.as_array().unwrap().len(), 2);
    let (_, n) = call(b, "i/notifications", &ct, json!({})).await;
    assert_eq!(types(&n), ["receiveFollowRequest", "receiveFollowRequest"]);
    assert_eq!(call(b, "following/requests/accept", &ct, json!({ "userId": alice })).await.0, 204);
    assert_eq!(call(b, "following/requests/reject", &ct, json!({ "userId": bob })).await.0, 204);
    assert_eq!(
        code(&call(b, "following/requests/accept", &ct, json!({ "userId": bob })).await),
        (400, Some("NO_FOLLOW_REQUEST"))
    );
    let (_, rel) = call(b, "users/relation", &at, json!({ "userId": carol })).await;
    assert_eq!(rel["isFollowing"], json!(true));
    let (_, n) = call(b, "i/notifications", &at, json!({})).await;
    assert!(types(&n).contains(&"followRequestAccepted".to_string()), "{n}");
    call(b, "following/create", &bt, json!({ "userId": carol })).await;
    assert_eq!(call(b, "following/requests/cancel", &bt, json!({ "userId": carol })).await.0, 200);
    let (_, reqs) = call(b, "following/requests/list", &ct, json!({})).await;
    assert_eq!(reqs.as_array().unwrap().len(), 0);
    let followers_only =
        post(b, &ct, json!({ "text": "for approved followers", "visibility": "followers" })).await;
    assert_eq!(call(b, "notes/show", &at, json!({ "noteId": followers_only })).await.0, 200);
    assert_eq!(
        code(&call(b, "notes/show", &bt, json!({ "noteId": followers_only })).await),
        (400, Some("NO_SUCH_NOTE"))
    );

    // Polls: one vote per choice, no unknown choices, counts in the note.
    let (s, r) = call(b, "notes/create", &at, json!({ "text": "?", "poll": { "choices": ["only"] } })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("INVALID_PARAM")));
    let (s, r) =
        call(b, "notes/create", &at, json!({ "poll": { "choices": ["a", "b"], "expiresAt": 1 } })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("CANNOT_CREATE_ALREADY_EXPIRED_POLL")), "{r}");
    let poll =
        post(b, &at, json!({ "text": "tea or coffee", "poll": { "choices": ["tea", "coffee"] } })).await;
    assert_eq!(call(b, "notes/polls/vote", &bt, json!({ "noteId": poll, "choice": 1 })).await.0, 204);
    assert_eq!(
        code(&call(b, "notes/polls/vote", &bt, json!({ "noteId": poll, "choice": 0 })).await),
        (400, Some("ALREADY_VOTED"))
    );
    assert_eq!(
        code(&call(b, "notes/polls/vote", &ct, json!({ "noteId": poll, "choice": 7 })).await),
        (400, Some("INVALID_CHOICE"))
    );
    let (_, n) = call(b, "notes/show", &bt, json!({ "noteId": poll })).await;
    assert_eq!(n["poll"]["choices"][1], json!({ "text": "coffee", "votes": 1, "isVoted": true }));
    // A poll that expires: voting closes, and the author and each voter are told once.
    let short =
        post(b, &at, json!({ "text": "quick", "poll": { "choices": ["x", "y"], "expiredAfter": 1000 } }))
            .await;
    assert_eq!(call(b, "notes/polls/vote", &bt, json!({ "noteId": short, "choice": 0 })).await.0, 204);
    let ended = |list: &Value| list.as_array().unwrap().iter().filter(|n| n["type"] == "pollEnded").count();
    let mut seen = (0, 0);
    for _ in 0..50 {
        let (_, na) = call(b, "i/notifications", &at, json!({ "markAsRead": false })).await;
        let (_, nb) = call(b, "i/notifications", &bt, json!({ "markAsRead": false })).await;
        seen = (ended(&na), ended(&nb));
        if seen == (1, 1) {
            assert_eq!(nb.as_array().unwrap()[0]["note"]["id"], json!(short));
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen, (1, 1), "pollEnded for the author and the voter");
    assert_eq!(
        code(&call(b, "notes/polls/vote", &ct, json!({ "noteId": short, "choice": 1 })).await),
        (400, Some("ALREADY_EXPIRED"))
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, na) = call(b, "i/notifications", &at, json!({})).await;
    assert_eq!(ended(&na), 1, "told once");

    // The legacy app flow: app, session, approval, userkey; the token is sha256(accessToken + secret).
    let (s, app) =
        api(b, "app/create", json!({ "name": "Legacy", "description": "d", "permission": ["read:account"] }))
            .await;
    assert_eq!(s, 200, "{app}");
    let secret = app["secret"].as_str().unwrap().to_string();
    let (_, sess) = api(b, "auth/session/generate", json!({ "appSecret": secret })).await;
    let token = sess["token"].as_str().unwrap().to_string();
    assert_eq!(
        code(&api(b, "auth/session/userkey", json!({ "appSecret": secret, "token": token })).await),
        (400, Some("PENDING_SESSION"))
    );
    assert_eq!(call(b, "auth/accept", &bt, json!({ "token": token })).await.0, 204);
    let (s, key) = api(b, "auth/session/userkey", json!({ "appSecret": secret, "token": token })).await;
    assert_eq!((s, key["user"]["id"].as_str()), (200, Some(bob.as_str())), "{key}");
    use sha2::Digest;
    let i = sha2::Sha256::digest(format!("{}{secret}", key["accessToken"].as_str().unwrap()));
    let i: String = i.iter().map(|x| format!("{x:02x}")).collect();
    let (s, me) = call(b, "i", &i, json!({})).await;
    assert_eq!((s, me["id"].as_str()), (200, Some(bob.as_str())));
    assert_eq!(
        code(&call(b, "notes/create", &i, json!({ "text": "x" })).await),
        (403, Some("PERMISSION_DENIED"))
    );

    // Rate limits: notes/reactions/delete allows one call per 3 seconds.
    call(b, "notes/reactions/create", &ct, json!({ "noteId": alice_note, "reaction": "🎉" })).await;
    assert_eq!(call(b, "notes/reactions/delete", &ct, json!({ "noteId": alice_note })).await.0, 204);
    call(b, "notes/reactions/create", &ct, json!({ "noteId": alice_note, "reaction": "🎉" })).await;
    let r = call(b, "notes/reactions/delete", &ct, json!({ "noteId": alice_note })).await;
    assert_eq!(code(&r), (429, Some("RATE_LIMIT_EXCEEDED")), "{}", r.1);
    assert!(r.1["error"]["info"]["resetMs"].is_number(), "{}", r.1);

    // notes/mentions: notes that mention the caller or are addressed to them, through the GIN indexes.
    let m1 = post(b, &bt, json!({ "text": "hi @alice" })).await;
    let m2 =
        post(b, &at, json!({ "text": "just you", "visibility": "specified", "visibleUserIds": [bob] })).await;
    post(b, &bt, json!({ "text": "hi @carol" })).await;
    let (_, m) = call(b, "notes/mentions", &at, json!({})).await;
    assert!(ids(&m).contains(&m1) && !ids(&m).contains(&m2), "{m}");
    let (_, m) = call(b, "notes/mentions", &bt, json!({ "visibility": "specified" })).await;
    assert_eq!(ids(&m), vec![m2]);

    // Suspended users cannot call the API (cached credentials expire within seconds).
    let (ok, _, err) = inst.cli(&["admin", "user", "suspend", "--username", "carol"]);
    assert!(ok, "{err}");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let r = call(b, "i", &ct, json!({})).await;
    assert_eq!(code(&r), (403, Some("YOUR_ACCOUNT_SUSPENDED")), "{}", r.1);
}

#[tokio::test]
async fn invitation_codes_admit_one_account_each() {
    let inst = Instance::init("api_invites").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let signup = |name: &str, code: Option<&Value>| {
        let mut body = json!({ "username": name, "password": "password123" });
        if let Some(c) = code {
            body["invitationCode"] = c.clone();
        }
        api(b, "signup", body)
    };
    let exists = async |name: &str| call(b, "users/show", &admin, json!({ "username": name })).await.0 == 200;

    // Registration is closed after init: no code, or a code nobody made, lets nobody in.
    assert_eq!(code(&signup("alice", None).await), (400, Some("REGISTRATION_CLOSED")));
    assert_eq!(code(&signup("alice", Some(&json!("nope"))).await), (400, Some("INVALID_INVITATION_CODE")));
    assert!(!exists("alice").await);

    // Moderators make codes; bad counts and dates are refused.
    let r = call(b, "admin/invite/create", &admin, json!({ "count": 0 })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));
    let r = call(b, "admin/invite/create", &admin, json!({ "expiresAt": "someday" })).await;
    assert_eq!(code(&r), (400, Some("INVALID_DATE_TIME")));
    let (s, codes) = call(b, "admin/invite/create", &admin, json!({ "count": 3 })).await;
    assert_eq!((s, codes.as_array().unwrap().len()), (200, 3), "{codes}");
    assert_eq!(
        (codes[0]["used"].clone(), codes[0]["createdBy"]["username"].clone()),
        (json!(false), json!("admin"))
    );
    let (_, past) =
        call(b, "admin/invite/create", &admin, json!({ "expiresAt": "2020-01-01T00:00:00.000Z" })).await;
    assert_eq!(code(&signup("alice", Some(&past[0]["code"])).await), (400, Some("INVALID_INVITATION_CODE")));

    // A code admits one account; a refused signup uses nothing up.
    let (s, alice) = signup("alice", Some(&codes[0]["code"])).await;
    assert_eq!(s, 200, "{alice}");
    let at = alice["token"].as_str().unwrap().to_string();
    assert_eq!(code(&signup("bob", Some(&codes[0]["code"])).await), (400, Some("INVALID_INVITATION_CODE")));
    assert_eq!(code(&signup("alice", Some(&codes[1]["code"])).await), (400, Some("USED_USERNAME")));
    // Two people racing for one code: exactly one gets in.
    let (x, y) =
        tokio::join!(signup("racer1", Some(&codes[1]["code"])), signup("racer2", Some(&codes[1]["code"])));
    assert_eq!([x.0, y.0].iter().filter(|s| **s == 200).count(), 1, "{} {}", x.1, y.1);
    assert_eq!(exists("racer1").await as u8 + exists("racer2").await as u8, 1);

    let (s, used) = call(b, "admin/invite/list", &admin, json!({ "type": "used", "sort": "-usedAt" })).await;
    assert_eq!(s, 200);
    let used: Vec<_> = used.as_array().unwrap().iter().map(|c| c["usedBy"]["username"].clone()).collect();
    assert_eq!(used[0], json!("alice"));
    assert_eq!(used.len(), 2);
    let (_, unused) = call(b, "admin/invite/list", &admin, json!({ "type": "unused" })).await;
    assert_eq!(unused.as_array().unwrap().len(), 2, "{unused}");
    let (_, expired) = call(b, "admin/invite/list", &admin, json!({ "type": "expired" })).await;
    assert_eq!(ids(&expired), ids(&past));
    let r = call(b, "admin/invite/list", &admin, json!({ "type": "broken" })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));
    let r = call(b, "admin/invite/list", &at, json!({})).await;
    assert_eq!(code(&r), (403, Some("ROLE_PERMISSION_DENIED")));

    // Users make codes only where the policies let them, within the limit per cycle.
    let r = call(b, "invite/create", &at, json!({})).await;
    assert_eq!(code(&r), (403, Some("ROLE_PERMISSION_DENIED")));
    let r = call(
        b,
        "admin/roles/update-default-policies",
        &admin,
        json!({ "policies": { "canInvite": true, "inviteLimit": 2, "inviteExpirationTime": 60 } }),
    )
    .await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (_, left) = call(b, "invite/limit", &at, json!({})).await;
    assert_eq!(left, json!({ "remaining": 2 }));
    let (s, mine) = call(b, "invite/create", &at, json!({})).await;
    assert_eq!(s, 200, "{mine}");
    assert!(mine["expiresAt"].is_string(), "{mine}");
    call(b, "invite/create", &at, json!({})).await;
    let r = call(b, "invite/create", &at, json!({})).await;
    assert_eq!(code(&r), (400, Some("EXCEEDED_LIMIT_OF_CREATE_INVITE_CODE")));
    let (_, left) = call(b, "invite/limit", &at, json!({})).await;
    assert_eq!(left, json!({ "remaining": 0 }));
    let (_, list) = call(b, "invite/list", &at, json!({})).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["createdBy"]["username"], json!("alice"));

    // Deleting: only your own unused codes (moderators: any).
    let (s, carol) = signup("carol", Some(&mine["code"])).await;
    assert_eq!(s, 200, "{carol}");
    let ct = carol["token"].as_str().unwrap();
    let r = call(b, "invite/delete", ct, json!({ "inviteId": list[0]["id"] })).await;
    assert_eq!(code(&r), (400, Some("ACCESS_DENIED")));
    let r = call(b, "invite/delete", &at, json!({ "inviteId": mine["id"] })).await;
    assert_eq!(code(&r), (400, Some("CAN_NOT_DELETE_INVITE_CODE")));
    let r = call(b, "invite/delete", &at, json!({ "inviteId": "nope" })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_INVITE_CODE")));
    let r = call(b, "invite/delete", &at, json!({})).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));
    assert_eq!(call(b, "invite/delete", &at, json!({ "inviteId": list[0]["id"] })).await.0, 204);
    assert_eq!(call(b, "invite/delete", &admin, json!({ "inviteId": mine["id"] })).await.0, 204);
    let (_, list) = call(b, "invite/list", &at, json!({})).await;
    assert_eq!(list, json!([]));

    // A language tag longer than the column holds is refused, not a server error.
    let long = "x".repeat(33);
    let r = call(b, "admin/update-meta", &admin, json!({ "langs": [long] })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));

    // With registration open no code is needed, and one given is not used up.
    let r = call(b, "admin/update-meta", &admin, json!({ "disableRegistration": false })).await;
    assert!(r.0 == 200 || r.0 == 204, "{}", r.1);
    assert_eq!(signup("dave", Some(&codes[2]["code"])).await.0, 200);
    let (_, unused) = call(b, "admin/invite/list", &admin, json!({ "type": "unused" })).await;
    assert!(ids(&unused).contains(&codes[2]["id"].as_str().unwrap().to_string()), "{unused}");
}

#[tokio::test]
async fn notification_receive_config_picks_who_may_notify() {
    let inst = Instance::init("api_receive").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice, at) = user(b, &admin, "alice").await;
    let (bob, bt) = user(b, &admin, "bob").await;
    let (carol, ct) = user(b, &admin, "carol").await;
    let (_, list) = call(b, "users/lists/create", &at, json!({ "name": "close" })).await;
    call(b, "users/lists/push", &at, json!({ "listId": list["id"], "userId": carol })).await;

    // Bad configurations are refused and change nothing.
    for bad in [
        json!({ "reaction": { "type": "sometimes" } }),
        json!({ "follow": { "type": "list" } }),
        json!({ "follow": "all" }),
        json!([]),
    ] {
        let r = call(b, "i/update", &at, json!({ "notificationRecieveConfig": bad })).await;
        assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "{}", r.1);
    }
    let config = json!({
        "reaction": { "type": "following" },
        "mention": { "type": "never" },
        "follow": { "type": "list", "userListId": list["id"] },
        "reply": { "type": "mutualFollow" },
        "pollEnded": { "type": "never" },
    });
    let (s, me) = call(b, "i/update", &at, json!({ "notificationRecieveConfig": config })).await;
    assert_eq!((s, &me["notificationRecieveConfig"]), (200, &config), "{me}");

    call(b, "following/create", &at, json!({ "userId": bob })).await;
    let (_, n) = call(
        b,
        "notes/create",
        &at,
        json!({ "text": "hello", "poll": { "choices": ["a", "b"], "expiredAfter": 4000 } }),
    )
    .await;
    let nid = n["createdNote"]["id"].clone();
    // Bob votes at once, while the poll is surely open (it ends for its voters).
    let (s, r) = call(b, "notes/polls/vote", &bt, json!({ "noteId": nid, "choice": 0 })).await;
    assert_eq!(s, 204, "{r}");
    // Reactions only from whom alice follows.
    call(b, "notes/reactions/create", &bt, json!({ "noteId": nid, "reaction": "👍" })).await;
    call(b, "notes/reactions/create", &ct, json!({ "noteId": nid, "reaction": "👍" })).await;
    // Mentions never.
    call(b, "notes/create", &bt, json!({ "text": "@alice hi" })).await;
    // Follows only from members of her list.
    call(b, "following/create", &bt, json!({ "userId": alice })).await;
    call(b, "following/create", &ct, json!({ "userId": alice })).await;
    // Replies only from mutual follows: bob now is one, carol is not.
    call(b, "notes/create", &bt, json!({ "text": "re", "replyId": nid })).await;
    call(b, "notes/create", &ct, json!({ "text": "re", "replyId": nid })).await;

    let (_, got) = call(b, "i/notifications", &at, json!({ "markAsRead": false })).await;
    let seen: Vec<(String, String)> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_string(),
                n["user"]["username"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [("reply", "bob"), ("follow", "carol"), ("reaction", "bob")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(seen, want, "{got}");

    // The poll ends for bob, who keeps the default; alice said never.
    let mut bob_got = false;
    for _ in 0..150 {
        let (_, n) = call(b, "i/notifications", &bt, json!({ "markAsRead": false })).await;
        if types(&n).iter().any(|t| t == "pollEnded") {
            bob_got = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(bob_got, "bob's pollEnded notification never came");
    let (_, n) = call(b, "i/notifications", &at, json!({})).await;
    assert!(!types(&n).iter().any(|t| t == "pollEnded"), "{n}");
}

#[tokio::test]
async fn two_factor_sign_in() {
    use misskey_rs::domain::totp::code_at;
    let inst = Instance::init("api_2fa");
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (_, at) = user(b, &admin, "alice").await;
    let now = || chrono::Utc::now().timestamp();
    let signin = |body: Value| api(b, "signin-flow", body);
    let pw = "password123";

    let r = call(b, "i/2fa/done", &at, json!({ "token": "123456" })).await;
    assert_eq!(code(&r), (400, Some("TWO_FACTOR_NOT_STARTED")));
    let r = call(b, "i/2fa/register", &at, json!({ "password": "wrong" })).await;
    assert_eq!(code(&r), (400, Some("INCORRECT_PASSWORD")));
    let (s, reg) = call(b, "i/2fa/register", &at, json!({ "password": pw })).await;
    assert_eq!(s, 200, "{reg}");
    let secret = reg["secret"].as_str().unwrap().to_string();
    assert_eq!(reg["label"], json!("alice"));
    assert!(reg["url"].as_str().unwrap().starts_with("otpauth://totp/"), "{reg}");
    assert!(reg["url"].as_str().unwrap().contains(&format!("secret={secret}")));
    assert!(reg["qr"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));
    // Not in force until confirmed: sign-in still takes the password alone.
    let (_, r) = signin(json!({ "username": "alice", "password": pw })).await;
    assert_eq!(r["finished"], json!(true), "{r}");

    let stale = code_at(&secret, now() - 600).unwrap();
    let r = call(b, "i/2fa/done", &at, json!({ "token": stale })).await;
    assert_eq!(code(&r), (400, Some("INCORRECT_TWO_FACTOR_TOKEN")));
    // The code that turns it on, kept: read again later, the clock may be in the next step.
    let first = code_at(&secret, now()).unwrap();
    let (s, done) = call(b, "i/2fa/done", &at, json!({ "token": first })).await;
    assert_eq!(s, 200, "{done}");
    let backup: Vec<String> =
        done["backupCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(backup.len(), 5);
    let (_, me) = call(b, "i", &at, json!({})).await;
    assert_eq!(
        (me["twoFactorEnabled"].clone(), me["twoFactorBackupCodesStock"].clone()),
        (json!(true), json!("full"))
    );
    let r = call(b, "i/2fa/unregister", "not-a-token", json!({ "password": pw })).await;
    assert_eq!(r.0, 401);

    // The flow now asks for a code after the password.
    let (_, r) = signin(json!({ "username": "alice" })).await;
    assert_eq!(r, json!({ "finished": false, "next": "password" }));
    let (_, r) = signin(json!({ "username": "alice", "password": pw })).await;
    assert_eq!(r, json!({ "finished": false, "next": "totp" }));
    let (s, r) =
        signin(json!({ "username": "alice", "password": "wrong", "token": code_at(&secret, now()) })).await;
    assert_eq!((s, r["error"]["id"].as_str()), (403, Some("932c904e-9460-45b7-9ce6-7ed33be7eb2c")));
    let (s, r) = signin(json!({ "username": "alice", "password": pw, "token": stale })).await;
    assert_eq!((s, r["error"]["id"].as_str()), (403, Some("cdf1235b-ac71-46d4-a3a6-84ccce48df6f")));
    let (s, r) = signin(json!({ "username": "alice", "password": pw, "token": 123456 })).await;
    assert_eq!(code(&(s, r)), (400, Some("INVALID_PARAM")));
    // The code that turned it on was taken; the next step's code (within the clock window)
    // works once.
    let (s, _) = signin(json!({ "username": "alice", "password": pw, "token": first })).await;
    assert_eq!(s, 403, "a code already used does not work again");
    let next = code_at(&secret, now() + 30).unwrap();
    let (s, r) = signin(json!({ "username": "alice", "password": pw, "token": next })).await;
    assert_eq!((s, r["finished"].clone(), r["i"].as_str()), (200, json!(true), Some(at.as_str())), "{r}");
    let (s, r) = signin(json!({ "username": "alice", "password": pw, "token": next })).await;
    assert_eq!((s, r["error"]["id"].as_str()), (403, Some("cdf1235b-ac71-46d4-a3a6-84ccce48df6f")), "{r}");
    // A backup code works once.
    let (_, r) = signin(json!({ "username": "alice", "password": pw, "token": backup[0] })).await;
    assert_eq!(r["finished"], json!(true), "{r}");
    let (s, _) = signin(json!({ "username": "alice", "password": pw, "token": backup[0] })).await;
    assert_eq!(s, 403);
    let (_, me) = call(b, "i", &at, json!({})).await;
    assert_eq!(me["twoFactorBackupCodesStock"], json!("partial"));

    // Turning it off takes the password and a code; a refusal does not say which was wrong.
    let r = call(b, "i/2fa/unregister", &at, json!({ "password": pw })).await;
    assert_eq!(code(&r), (400, Some("INCORRECT_PASSWORD_OR_TWO_FACTOR_TOKEN")));
    let r = call(b, "i/2fa/unregister", &at, json!({ "password": "wrong", "token": backup[1] })).await;
    assert_eq!(code(&r), (400, Some("INCORRECT_PASSWORD_OR_TWO_FACTOR_TOKEN")));
    let r = call(b, "i/2fa/unregister", &at, json!({ "password": pw, "token": backup[1] })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (_, r) = signin(json!({ "username": "alice", "password": pw })).await;
    assert_eq!(r["finished"], json!(true), "{r}");
    let (_, me) = call(b, "i", &at, json!({})).await;
    assert_eq!(
        (me["twoFactorEnabled"].clone(), me["twoFactorBackupCodesStock"].clone()),
        (json!(false), json!("none"))
    );

    // Ten failures an hour per address, sign-in and two-factor changes together. Nine so far:
    // a wrong password at i/2fa/register, a stale code at i/2fa/done; at sign-in a wrong
    // password, a stale code, two used codes and a used backup code; two refused
    // i/2fa/unregister. One more, then even the right password waits.
    assert_eq!(signin(json!({ "username": "alice", "password": "guess" })).await.0, 403);
    let (s, r) = signin(json!({ "username": "alice", "password": pw })).await;
    assert_eq!((s, r["error"]["code"].as_str()), (429, Some("TOO_MANY_AUTHENTICATION_FAILURES")), "{r}");
}
