//! Deleting an account: at once it cannot sign in or be seen; its 10,000 notes, reactions,
//! follows and the rest go in the background in small batches while the server keeps
//! answering, with the counts of other accounts kept right; the username is never taken again.

mod common;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_deleted_account_and_everything_it_had_go() {
    let inst = Instance::init("deletion").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let db = inst.db.as_ref().unwrap().url.clone();
    let (alice_id, alice) = user(b, &admin, "alice").await;
    let (bob_id, bob) = user(b, &admin, "bob").await;
    let (_, carol) = user(b, &admin, "carol").await;

    // Alice's life here: notes (10,000 of them), a reaction, follows both ways, a list.
    let (_, r) = call(b, "notes/create", &bob, json!({ "text": "bob's note" })).await;
    let bob_note = r["createdNote"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        call(b, "notes/reactions/create", &alice, json!({ "noteId": bob_note, "reaction": "👍" })).await.0,
        204
    );
    assert_eq!(
        call(b, "notes/reactions/create", &carol, json!({ "noteId": bob_note, "reaction": "👍" })).await.0,
        204
    );
    assert_eq!(call(b, "following/create", &alice, json!({ "userId": bob_id })).await.0, 200);
    assert_eq!(call(b, "following/create", &bob, json!({ "userId": alice_id })).await.0, 200);
    assert_eq!(call(b, "users/lists/create", &alice, json!({ "name": "friends" })).await.0, 200);
    let (s, a) = call(
        b,
        "admin/announcements/create",
        &admin,
        json!({ "title": "t", "text": "x", "userId": alice_id }),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    let (_, all) = call(b, "admin/announcements/create", &admin, json!({ "title": "t", "text": "x" })).await;
    assert_eq!(call(b, "i/read-announcement", &alice, json!({ "announcementId": all["id"] })).await.0, 204);
    psql(
        &db,
        &format!(
            "INSERT INTO notes (id, created_at, user_id, text, visibility) \
             SELECT 'dn' || lpad(i::text, 8, '0'), now() - i * interval '1 second', '{alice_id}', 'note ' || i, 'public' \
             FROM generate_series(1, 10000) i; \
             UPDATE users SET notes_count = 10000 WHERE id = '{alice_id}'"
        ),
    );

    // The wrong password is refused; the root account is not deleted by anyone.
    let (s, r) = call(b, "i/delete-account", &alice, json!({ "password": "wrong-password" })).await;
    assert_eq!(s, 400, "{r}");
    let (_, me) = call(b, "i", &admin, json!({})).await;
    let (s, r) = call(b, "admin/delete-account", &admin, json!({ "userId": me["id"] })).await;
    assert_eq!((s, r["error"]["code"].clone()), (400, json!("CANNOT_DELETE_ROOT")), "{r}");
    let (s, _) = call(b, "admin/delete-account", &bob, json!({ "userId": alice_id })).await;
    assert_eq!(s, 403);

    // Gone at once for clients, while its content goes in the background.
    let (s, r) = call(b, "i/delete-account", &alice, json!({ "password": "password123" })).await;
    assert!(s == 200 || s == 204, "{r}");
    let (s, _) = call(b, "i", &alice, json!({})).await;
    assert_eq!(s, 401, "the token is revoked");
    let (s, _) = api(b, "signin-flow", json!({ "username": "alice", "password": "password123" })).await;
    assert_ne!(s, 200, "no sign-in");
    let (s, _) = call(b, "users/show", &bob, json!({ "userId": alice_id })).await;
    assert_eq!(s, 404);
    // The server keeps answering while the notes go.
    let t0 = Instant::now();
    let mut slowest = Duration::ZERO;
    while psql(
        &db,
        &format!("SELECT finished_at IS NOT NULL FROM deleted_accounts WHERE user_id = '{alice_id}'"),
    ) != "t"
    {
        assert!(t0.elapsed() < Duration::from_secs(120), "the deletion did not finish");
        let t = Instant::now();
        let (s, _) = call(b, "notes/local-timeline", &bob, json!({})).await;
        assert_eq!(s, 200);
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("deleted 10,000 notes in {:?}; slowest timeline meanwhile {:?}", t0.elapsed(), slowest);
    assert!(slowest < Duration::from_secs(2), "timelines stayed answering: {slowest:?}");

    // Nothing of alice's is left but her row; the others' counts are right.
    for (table, col) in [
        ("notes", "user_id"),
        ("note_reactions", "user_id"),
        ("following", "follower_id"),
        ("following", "followee_id"),
        ("user_lists", "user_id"),
        ("access_tokens", "user_id"),
        ("notifications", "notifier_id"),
        ("announcements", "user_id"),
        ("announcement_reads", "user_id"),
    ] {
        let n = psql(&db, &format!("SELECT count(*) FROM {table} WHERE {col} = '{alice_id}'"));
        assert_eq!(n, "0", "{table}.{col}");
    }
    let (_, n) = call(b, "notes/show", &bob, json!({ "noteId": bob_note })).await;
    assert_eq!(n["reactions"], json!({ "👍": 1 }), "alice's reaction is no longer counted");
    let (_, bob_now) = call(b, "i", &bob, json!({})).await;
    assert_eq!((bob_now["followersCount"].clone(), bob_now["followingCount"].clone()), (json!(0), json!(0)));

    // The username stays taken.
    let (s, r) = api(b, "signup", json!({ "username": "alice", "password": "password123" })).await;
    assert_eq!(s, 400, "{r}");
    // A second request changes nothing.
    let (s, r) = call(b, "admin/delete-account", &admin, json!({ "userId": alice_id })).await;
    assert!(s == 200 || s == 204, "{r}");
    let (_, log) = call(b, "admin/show-moderation-logs", &admin, json!({ "type": "deleteAccount" })).await;
    assert_eq!(log, json!([]), "a repeated request is no new deletion");
    server.stop();
}
