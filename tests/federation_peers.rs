//! Two misskey-rs servers on loopback, on different ports, federate through their inboxes and
//! the delivery queue: follows (also of a locked account), notes, replies, reactions, renotes,
//! deletions, profile updates and blocks arrive on the other side, with the notifications a
//! user there expects.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let t0 = Instant::now();
    while !check().await {
        assert!(t0.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn has(list: &Value, f: impl Fn(&Value) -> bool) -> bool {
    list.as_array().is_some_and(|l| l.iter().any(f))
}

#[tokio::test]
async fn two_servers_federate() {
    let a = Instance::init("peer_a").without_rate_limits().federating();
    let b = Instance::init("peer_b").without_rate_limits().federating();
    let (server_a, admin_a) = serve_signed_in(&a).await;
    let (server_b, admin_b) = serve_signed_in(&b).await;
    let (pa, pb) = (server_a.base.clone(), server_b.base.clone());
    let (pa, pb) = (pa.as_str(), pb.as_str());
    let (_alice_b_id, alice) = user(pa, &admin_a, "alice").await;
    let (bob_id, bob) = user(pb, &admin_b, "bob").await;
    let (_, carol) = user(pb, &admin_b, "carol").await;
    call(pb, "i/update", &carol, json!({ "isLocked": true })).await;

    // Alice finds bob through WebFinger and follows him; bob's server accepts.
    let (s, bob_at_a) = call(pa, "users/show", &alice, json!({ "username": "bob", "host": b.host() })).await;
    assert_eq!(s, 200, "{bob_at_a}");
    assert_eq!(bob_at_a["host"], b.host());
    let bob_a = bob_at_a["id"].as_str().unwrap().to_string();
    let (s, r) = call(pa, "following/create", &alice, json!({ "userId": bob_a })).await;
    assert_eq!(s, 200, "{r}");
    eventually("bob's server to see alice follow", async || {
        let (_, f) = call(pb, "users/followers", &bob, json!({ "userId": bob_id })).await;
        has(&f, |x| x["follower"]["username"] == "alice" && x["follower"]["host"] == a.host())
    })
    .await;
    let (_, n) = call(pb, "i/notifications", &bob, json!({})).await;
    assert!(has(&n, |x| x["type"] == "follow" && x["user"]["username"] == "alice"), "{n}");

    // Bob posts; the note reaches alice's home timeline.
    let (_, r) = call(pb, "notes/create", &bob, json!({ "text": "hello from **b** #fediverse" })).await;
    let note_b = r["createdNote"]["id"].as_str().unwrap().to_string();
    let mut note_at_a = String::new();
    eventually("bob's note on alice's timeline", async || {
        let (_, tl) = call(pa, "notes/timeline", &alice, json!({})).await;
        match tl.as_array().and_then(|l| l.iter().find(|n| n["user"]["username"] == "bob")) {
            Some(n) => {
                note_at_a = n["id"].as_str().unwrap().to_string();
                assert_eq!(n["text"], "hello from **b** #fediverse", "the MFM source travels: {n}");
                assert_eq!(n["uri"], format!("http://{}/notes/{note_b}", b.host()));
                true
            }
            None => false,
        }
    })
    .await;

    // Bob posts a picture with alt text: alice's server shows it from bob's, as bob's file.
    let (s, pic) = upload(pb, &bob, &[("comment", "a test card")], "card.png", &png(640, 480)).await;
    assert_eq!(s, 200, "{pic}");
    let (s, r) = call(pb, "notes/create", &bob, json!({ "text": "look", "fileIds": [pic["id"]] })).await;
    assert_eq!(s, 200, "{r}");
    eventually("bob's picture at a", async || {
        let (_, tl) = call(pa, "notes/timeline", &alice, json!({ "withFiles": true })).await;
        match tl.as_array().and_then(|l| l.iter().find(|n| n["text"] == "look")) {
            Some(n) => {
                let f = &n["files"][0];
                assert_eq!(
                    (&f["url"], &f["type"], &f["comment"], &f["blurhash"]),
                    (&pic["url"], &pic["type"], &pic["comment"], &pic["blurhash"]),
                    "{n}"
                );
                assert_eq!(f["properties"], json!({ "width": 640, "height": 480 }));
                assert_eq!(f["userId"], json!(bob_a));
                true
            }
            None => false,
        }
    })
    .await;

    // Alice replies, reacts and renotes; bob hears of each.
    let (s, r) = call(pa, "notes/create", &alice, json!({ "text": "nice one", "replyId": note_at_a })).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) =
        call(pa, "notes/reactions/create", &alice, json!({ "noteId": note_at_a, "reaction": "👍" })).await;
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(pa, "notes/create", &alice, json!({ "renoteId": note_at_a })).await;
    assert_eq!(s, 200, "{r}");
    eventually("bob's notifications of the reply, reaction and renote", async || {
        let (_, n) = call(pb, "i/notifications", &bob, json!({})).await;
        ["reply", "reaction", "renote"]
            .iter()
            .all(|t| has(&n, |x| x["type"] == *t && x["user"]["username"] == "alice"))
    })
    .await;
    let (_, shown) = call(pb, "notes/show", &bob, json!({ "noteId": note_b })).await;
    assert_eq!(shown["reactions"], json!({ "👍": 1 }), "{shown}");
    assert_eq!(
        (shown["repliesCount"].clone(), shown["renoteCount"].clone()),
        (json!(1), json!(1)),
        "{shown}"
    );
    let (_, replies) = call(pb, "notes/replies", &bob, json!({ "noteId": note_b })).await;
    assert_eq!(replies[0]["text"], "nice one", "{replies}");

    // Custom emoji across servers: bob's note uses b's emoji, alice reacts with a's.
    let (_, party) = upload(pb, &admin_b, &[], "party.png", &png(48, 48)).await;
    let (s, r) =
        call(pb, "admin/emoji/add", &admin_b, json!({ "name": "party", "fileId": party["id"] })).await;
    assert_eq!(s, 200, "{r}");
    let (_, wave) = upload(pa, &admin_a, &[], "wave.png", &png(48, 48)).await;
    let (s, r) = call(pa, "admin/emoji/add", &admin_a, json!({ "name": "wave", "fileId": wave["id"] })).await;
    assert_eq!(s, 200, "{r}");
    let (_, r) = call(pb, "notes/create", &bob, json!({ "text": "it is a :party:" })).await;
    let party_note = r["createdNote"]["id"].as_str().unwrap().to_string();
    let mut party_at_a = String::new();
    eventually("bob's emoji note at a", async || {
        let (_, tl) = call(pa, "notes/timeline", &alice, json!({})).await;
        match tl.as_array().and_then(|l| l.iter().find(|n| n["text"] == "it is a :party:")) {
            Some(n) => {
                assert_eq!(n["emojis"], json!({ "party": party["url"] }), "{n}");
                party_at_a = n["id"].as_str().unwrap().to_string();
                true
            }
            None => false,
        }
    })
    .await;
    let r = call(pa, "notes/reactions/create", &alice, json!({ "noteId": party_at_a, "reaction": ":wave:" }))
        .await;
    assert_eq!(r.0, 204, "{}", r.1);
    let key = format!(":wave@{}:", a.host());
    eventually("alice's custom reaction at b", async || {
        let (_, n) = call(pb, "notes/show", &bob, json!({ "noteId": party_note })).await;
        n["reactions"] == json!({ key.clone(): 1 })
            && n["reactionEmojis"] == json!({ format!("wave@{}", a.host()): wave["url"] })
    })
    .await;
    let (_, remote) = call(pb, "admin/emoji/list-remote", &admin_b, json!({ "host": a.host() })).await;
    assert_eq!(remote[0]["name"], "wave", "{remote}");

    // Alice takes her reaction back.
    call(pa, "notes/reactions/delete", &alice, json!({ "noteId": note_at_a })).await;
    eventually("the reaction to go on bob's side", async || {
        let (_, shown) = call(pb, "notes/show", &bob, json!({ "noteId": note_b })).await;
        shown["reactions"] == json!({})
    })
    .await;

    // Bob edits his profile and picks an avatar; alice's server sees it.
    let (s, me) = call(
        pb,
        "i/update",
        &bob,
        json!({ "name": "Bob B.", "description": "from b", "avatarId": pic["id"] }),
    )
    .await;
    assert_eq!(s, 200, "{me}");
    eventually("bob's new name and avatar at a", async || {
        let (_, u) = call(pa, "users/show", &alice, json!({ "userId": bob_a })).await;
        u["name"] == "Bob B." && u["description"] == "from b" && u["avatarUrl"] == pic["url"]
    })
    .await;

    // Bob pins the note (Add to his featured collection): alice's server shows it pinned on
    // his profile; unpinned (Remove), it is no longer.
    let (s, r) = call(pb, "i/pin", &bob, json!({ "noteId": note_b })).await;
    assert_eq!(s, 200, "{r}");
    eventually("bob's pin at a", async || {
        let (_, u) = call(pa, "users/show", &alice, json!({ "userId": bob_a })).await;
        u["pinnedNoteIds"] == json!([note_at_a]) && u["pinnedNotes"][0]["id"] == json!(note_at_a)
    })
    .await;
    let r = call(pb, "i/pin", &bob, json!({ "noteId": note_b })).await;
    assert_eq!(r.1["error"]["code"], "ALREADY_PINNED", "{}", r.1);
    let r = call(pb, "i/pin", &carol, json!({ "noteId": note_b })).await;
    assert_eq!(r.1["error"]["id"], "56734f8b-3928-431e-bf80-6ff87df40cb3", "another's note: {}", r.1);
    let r = call(pb, "i/unpin", &bob, json!({ "noteId": "0000000000" })).await;
    assert_eq!(r.1["error"]["id"], "454170ce-9d63-4a43-9da1-ea10afe81e21", "{}", r.1);
    call(pb, "admin/roles/update-default-policies", &admin_b, json!({ "policies": { "pinLimit": 1 } })).await;
    let (_, second) = call(pb, "notes/create", &bob, json!({ "text": "second" })).await;
    let r = call(pb, "i/pin", &bob, json!({ "noteId": second["createdNote"]["id"] })).await;
    assert_eq!(r.1["error"]["code"], "PIN_LIMIT_EXCEEDED", "{}", r.1);
    let (s, r) = call(pb, "i/unpin", &bob, json!({ "noteId": note_b })).await;
    assert_eq!(s, 200, "{r}");
    eventually("bob's unpin at a", async || {
        let (_, u) = call(pa, "users/show", &alice, json!({ "userId": bob_a })).await;
        u["pinnedNoteIds"] == json!([])
    })
    .await;

    // Bob deletes the note; it goes at a too.
    call(pb, "notes/delete", &bob, json!({ "noteId": note_b })).await;
    eventually("the deleted note to go at a", async || {
        let (s, _) = call(pa, "notes/show", &alice, json!({ "noteId": note_at_a })).await;
        s == 400
    })
    .await;

    // Carol is locked: alice's follow waits for her approval.
    let (_, carol_at_a) =
        call(pa, "users/show", &alice, json!({ "username": "carol", "host": b.host() })).await;
    let carol_a = carol_at_a["id"].as_str().unwrap().to_string();
    assert_eq!(carol_at_a["isLocked"], true);
    call(pa, "following/create", &alice, json!({ "userId": carol_a })).await;
    let mut requester = String::new();
    eventually("carol's follow request", async || {
        let (_, reqs) = call(pb, "following/requests/list", &carol, json!({})).await;
        match reqs.as_array().and_then(|l| l.first()) {
            Some(r) => {
                requester = r["follower"]["id"].as_str().unwrap().to_string();
                true
            }
            None => false,
        }
    })
    .await;
    let (_, rel) = call(pa, "users/relation", &alice, json!({ "userId": carol_a })).await;
    assert_eq!(
        (rel["isFollowing"].clone(), rel["hasPendingFollowRequestFromYou"].clone()),
        (json!(false), json!(true))
    );
    let (s, r) = call(pb, "following/requests/accept", &carol, json!({ "userId": requester })).await;
    assert_eq!(s, 204, "{r}");
    eventually("alice to follow carol once accepted", async || {
        let (_, rel) = call(pa, "users/relation", &alice, json!({ "userId": carol_a })).await;
        rel["isFollowing"] == true
    })
    .await;
    let (_, n) = call(pa, "i/notifications", &alice, json!({})).await;
    assert!(has(&n, |x| x["type"] == "followRequestAccepted"), "{n}");

    // Bob asks; alice votes from her server, carol from bob's: both votes count at b, and
    // b's new counts (an Update of the Question) reach a.
    let (_, r) = call(
        pb,
        "notes/create",
        &bob,
        json!({ "text": "tea or coffee?", "poll": { "choices": ["tea", "coffee"] } }),
    )
    .await;
    let poll_b = r["createdNote"]["id"].as_str().unwrap().to_string();
    let mut poll_a = String::new();
    eventually("bob's poll at a", async || {
        let (_, tl) = call(pa, "notes/timeline", &alice, json!({})).await;
        match tl.as_array().and_then(|l| l.iter().find(|n| n["text"] == "tea or coffee?")) {
            Some(n) => {
                poll_a = n["id"].as_str().unwrap().to_string();
                true
            }
            None => false,
        }
    })
    .await;
    let (s, r) = call(pa, "notes/polls/vote", &alice, json!({ "noteId": poll_a, "choice": 1 })).await;
    assert!(s == 200 || s == 204, "{r}");
    let (s, r) = call(pb, "notes/polls/vote", &carol, json!({ "noteId": poll_b, "choice": 0 })).await;
    assert!(s == 200 || s == 204, "{r}");
    let votes = |n: &Value| -> Vec<i64> {
        n["poll"]["choices"].as_array().unwrap().iter().map(|c| c["votes"].as_i64().unwrap()).collect()
    };
    eventually("alice's vote counted at b", async || {
        let (_, n) = call(pb, "notes/show", &bob, json!({ "noteId": poll_b })).await;
        votes(&n) == [1, 1]
    })
    .await;
    eventually("carol's vote counted at a", async || {
        let (_, n) = call(pa, "notes/show", &alice, json!({ "noteId": poll_a })).await;
        votes(&n) == [1, 1]
    })
    .await;
    let (_, n) = call(pa, "notes/show", &alice, json!({ "noteId": poll_a })).await;
    assert_eq!(n["poll"]["choices"][1]["isVoted"], true, "{n}");
    // A second vote in a single-choice poll is refused at a; b never sees it.
    let (s, _) = call(pa, "notes/polls/vote", &alice, json!({ "noteId": poll_a, "choice": 0 })).await;
    assert_eq!(s, 400);

    // Alice reports bob; a's moderator forwards the report, and it reaches b's moderators as
    // a report from a's instance actor, without alice's name.
    let (s, r) =
        call(pa, "users/report-abuse", &alice, json!({ "userId": bob_a, "comment": "spam from b" })).await;
    assert!(s == 200 || s == 204, "{r}");
    let (_, reports) = call(pa, "admin/abuse-user-reports", &admin_a, json!({})).await;
    let rid = reports[0]["id"].clone();
    let (s, r) = call(pa, "admin/forward-abuse-user-report", &admin_a, json!({ "reportId": rid })).await;
    assert!(s == 200 || s == 204, "{r}");
    let mut flagged = Value::Null;
    eventually("the forwarded report at b", async || {
        let (_, list) = call(pb, "admin/abuse-user-reports", &admin_b, json!({})).await;
        flagged = list[0].clone();
        flagged.is_object()
    })
    .await;
    assert_eq!(flagged["targetUser"]["username"], "bob", "{flagged}");
    assert_eq!(flagged["reporter"]["host"], a.host(), "{flagged}");
    assert_ne!(flagged["reporter"]["username"], "alice", "{flagged}");
    assert_eq!(flagged["comment"], "spam from b");
    let (_, reports) = call(pa, "admin/abuse-user-reports", &admin_a, json!({})).await;
    assert_eq!(reports[0]["forwarded"], true);

    // Bob blocks alice: her follow ends on both sides.
    let (_, alice_at_b) =
        call(pb, "users/show", &bob, json!({ "username": "alice", "host": a.host() })).await;
    let (s, r) = call(pb, "blocking/create", &bob, json!({ "userId": alice_at_b["id"] })).await;
    assert_eq!(s, 200, "{r}");
    eventually("alice no longer following bob", async || {
        let (_, rel) = call(pa, "users/relation", &alice, json!({ "userId": bob_a })).await;
        rel["isFollowing"] == false
    })
    .await;
    let (_, rel) = call(pa, "users/relation", &alice, json!({ "userId": bob_a })).await;
    assert_eq!(rel["isBlocked"], true, "{rel}");

    // Each server lists the other among the servers it has met.
    let (s, list) = call(pa, "federation/instances", &alice, json!({ "sort": "+users" })).await;
    assert_eq!(s, 200, "{list}");
    let b_info = list.as_array().unwrap().iter().find(|i| i["host"] == b.host()).cloned().unwrap_or_default();
    assert_eq!(b_info["usersCount"], 2, "bob and carol: {list}");
    assert_eq!(b_info["followersCount"], 1, "alice follows carol there: {b_info}");
    assert_eq!(
        (b_info["isBlocked"].clone(), b_info["isNotResponding"].clone()),
        (json!(false), json!(false))
    );
    let (_, one) = call(pa, "federation/show-instance", &alice, json!({ "host": b.host() })).await;
    assert_eq!(one["id"], b_info["id"]);
    let (_, none) = call(pa, "federation/show-instance", &alice, json!({ "host": "unknown.example" })).await;
    assert_eq!(none, Value::Null);
    // What b says of itself in its NodeInfo is fetched in the background once it has spoken.
    eventually("b's NodeInfo on a", async || {
        let (_, one) = call(pa, "federation/show-instance", &alice, json!({ "host": b.host() })).await;
        one["softwareName"] == "misskey-rs"
    })
    .await;
    let (_, one) = call(pa, "federation/show-instance", &alice, json!({ "host": b.host() })).await;
    assert!(one["softwareVersion"].is_string() && one["infoUpdatedAt"].is_string(), "{one}");
    assert!(one["latestRequestReceivedAt"].is_string(), "{one}");
    assert_eq!(one["openRegistrations"], false, "{one}");
    let (s, r) =
        call(pa, "admin/federation/refresh-remote-instance-metadata", &admin_a, json!({ "host": b.host() }))
            .await;
    assert!(s == 200 || s == 204, "{r}");
    let (s, r) = call(
        pa,
        "admin/federation/refresh-remote-instance-metadata",
        &admin_a,
        json!({ "host": "nope.example" }),
    )
    .await;
    assert_eq!((s, r["error"]["code"].clone()), (400, json!("NO_SUCH_INSTANCE")));

    // Its users, and the follows between the two servers' users.
    let (_, users) = call(pa, "federation/users", &alice, json!({ "host": b.host() })).await;
    let mut names: Vec<&str> =
        users.as_array().unwrap().iter().filter_map(|u| u["username"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["bob", "carol"], "{users}");
    let (_, f) = call(pa, "federation/followers", &alice, json!({ "host": b.host() })).await;
    let f0 = f[0].clone();
    assert!(has(&f, |x| x["follower"]["username"] == "alice" && x["followee"]["username"] == "carol"), "{f}");
    let (s, f) = call(pa, "federation/following", &alice, json!({ "host": b.host(), "limit": 5 })).await;
    assert_eq!(s, 200, "{f}");
    assert!(f.as_array().unwrap().iter().all(|x| x["followee"]["host"].is_null()), "{f}");
    let (s, _) = call(pa, "federation/users", &alice, json!({ "host": b.host(), "limit": 0 })).await;
    assert_eq!(s, 400);

    check_contract(&[
        ("FederationInstance", "federation/show-instance", one.clone()),
        ("Following", "federation/followers", f0.clone()),
        ("UserDetailedNotMe", "federation/users", users[0].clone()),
    ]);

    // An administrator may look at a document as the other server serves it; others may not.
    let uri = bob_at_a["uri"].as_str().unwrap();
    let (s, doc) = call(pa, "ap/get", &admin_a, json!({ "uri": uri })).await;
    assert_eq!(
        (s, doc["type"].clone(), doc["preferredUsername"].clone()),
        (200, json!("Person"), json!("bob"))
    );
    let (s, _) = call(pa, "ap/get", &alice, json!({ "uri": uri })).await;
    assert_eq!(s, 403);
    let (s, r) = call(pa, "ap/get", &admin_a, json!({ "uri": "http://127.0.0.1:9/x" })).await;
    assert_eq!((s, r["error"]["code"].clone()), (400, json!("NO_SUCH_OBJECT")), "{r}");

    // Carol deletes her account: a, where alice follows her, hears of it and forgets her.
    let (_, carol_at_a) =
        call(pa, "users/show", &alice, json!({ "username": "carol", "host": b.host() })).await;
    let (s, r) = call(pb, "i/delete-account", &carol, json!({ "password": "password123" })).await;
    assert!(s == 200 || s == 204, "{r}");
    eventually("carol gone at a", async || {
        let (s, _) = call(pa, "users/show", &alice, json!({ "userId": carol_at_a["id"] })).await;
        s == 404
    })
    .await;
    let (_, me) = call(pa, "i", &alice, json!({})).await;
    assert_eq!(me["followingCount"], 0, "{me}");

    // Dave pinned notes before anyone at a knew him: met there, his profile shows them, read
    // from his featured collection (newest pin first); a followers-only pin is not served.
    let (_, dave) = user(pb, &admin_b, "dave").await;
    call(pb, "admin/roles/update-default-policies", &admin_b, json!({ "policies": { "pinLimit": 5 } })).await;
    for (text, visibility) in [("old pin", "public"), ("secret pin", "followers"), ("new pin", "public")] {
        let (_, r) = call(pb, "notes/create", &dave, json!({ "text": text, "visibility": visibility })).await;
        let r = call(pb, "i/pin", &dave, json!({ "noteId": r["createdNote"]["id"] })).await;
        assert_eq!(r.0, 200, "{}", r.1);
    }
    let (s, dave_at_a) =
        call(pa, "users/show", &alice, json!({ "username": "dave", "host": b.host() })).await;
    assert_eq!(s, 200, "{dave_at_a}");
    eventually("dave's pins at a", async || {
        let (_, u) = call(pa, "users/show", &alice, json!({ "userId": dave_at_a["id"] })).await;
        let texts: Vec<&str> = u["pinnedNotes"]
            .as_array()
            .map(|l| l.iter().filter_map(|n| n["text"].as_str()).collect())
            .unwrap_or_default();
        texts == ["new pin", "old pin"]
    })
    .await;

    // Nothing is left undelivered or dead on either side.
    for (inst, admin) in [(&a, &admin_a), (&b, &admin_b)] {
        let base = inst.base();
        eventually("both queues to drain", async || {
            let (_, st) = call(&base, "admin/queue/stats", admin, json!({})).await;
            st["deliver"]["waiting"] == 0 && st["deliver"]["active"] == 0 && st["inbox"]["waiting"] == 0
        })
        .await;
        let (_, st) = call(&base, "admin/queue/stats", admin, json!({})).await;
        assert_eq!(st["deliver"]["failed"], 0, "{st}");
    }
    server_a.stop();
    server_b.stop();
}
