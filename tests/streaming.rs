//! The streaming API end to end with a real WebSocket client: timelines and main channels get
//! what the domain lets each viewer see and nothing else, captured notes hear their changes,
//! hostile frames harm nobody else, two server processes behave as one, and a Redis restart
//! leaves sockets open and events flowing again.

mod common;
use common::procs::OwnRedis;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Ws {
    s: Socket,
}

async fn open(base: &str, token: Option<&str>) -> Ws {
    let url = base.replace("http://", "ws://")
        + "/streaming"
        + &token.map(|t| format!("?i={t}")).unwrap_or_default();
    let (s, _) = tokio_tungstenite::connect_async(url).await.expect("upgrade");
    Ws { s }
}

impl Ws {
    async fn send(&mut self, v: Value) {
        self.s.send(Message::text(v.to_string())).await.unwrap();
    }

    /// Connects a channel and waits for its acknowledgement.
    async fn channel(&mut self, channel: &str, id: &str, params: Value) {
        self.send(json!({ "type": "connect", "body": { "channel": channel, "id": id, "params": params, "pong": true } }))
            .await;
        let ack = self.next(Duration::from_secs(5)).await.expect("connected");
        assert_eq!(ack, json!({ "type": "connected", "body": { "id": id } }));
    }

    /// The next JSON frame within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.s.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    return serde_json::from_str(&t).ok().or(Some(json!(t.as_str())))
                }
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }

    /// Every frame that arrives within `wait`.
    async fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left).await {
                Some(v) => out.push(v),
                None => break,
            }
        }
        out
    }

    /// Whether the server closes the socket within `wait` (frames before the close are skipped).
    async fn closes_within(&mut self, wait: Duration) -> bool {
        let closed = async {
            loop {
                match self.s.next().await {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(_)) => {}
                }
            }
        };
        tokio::time::timeout(wait, closed).await.is_ok()
    }

    /// Waits for a channel event whose body matches.
    async fn expect(&mut self, chan: &str, event: &str, pred: impl Fn(&Value) -> bool) -> (Value, Duration) {
        let t0 = Instant::now();
        loop {
            let f = self.next(Duration::from_secs(5)).await.unwrap_or_else(|| panic!("no {event} on {chan}"));
            let b = &f["body"];
            if f["type"] == "channel" && b["id"] == chan && b["type"] == event && pred(&b["body"]) {
                return (b["body"].clone(), t0.elapsed());
            }
        }
    }
}

async fn post(base: &str, token: &str, body: Value) -> String {
    let (s, r) = call(base, "notes/create", token, body).await;
    assert_eq!(s, 200, "{r}");
    r["createdNote"]["id"].as_str().unwrap().to_string()
}

/// Every note id in the frames.
fn note_ids(frames: &[Value]) -> HashSet<String> {
    frames
        .iter()
        .filter(|f| f["type"] == "channel")
        .filter_map(|f| f["body"]["body"]["id"].as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn notes_reactions_and_notifications_reach_exactly_the_sockets_that_may_see_them() {
    let inst = Instance::init("stream_flow").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice, at) = user(b, &admin, "alice").await;
    let (bob, bt) = user(b, &admin, "bob").await;
    let (carol, ct) = user(b, &admin, "carol").await;
    assert_eq!(call(b, "following/create", &bt, json!({ "userId": alice })).await.0, 200);

    // The upgrade refuses a bad token before any WebSocket exists.
    let bad = format!("{}/streaming?i=not-a-token", b.replace("http://", "ws://"));
    match tokio_tungstenite::connect_async(bad).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 401),
        other => panic!("a bad token was not refused: {:?}", other.map(|_| ())),
    }
    // A Bearer header works as well as `?i=`.
    let mut req = format!("{}/streaming", b.replace("http://", "ws://")).into_client_request().unwrap();
    req.headers_mut().insert("Authorization", format!("Bearer {at}").parse().unwrap());
    // Browsers offer compression on the upgrade; the 101 answer must not be encoded.
    req.headers_mut().insert("Accept-Encoding", "gzip, deflate, br".parse().unwrap());
    let (s, _) = tokio_tungstenite::connect_async(req).await.expect("Bearer upgrade");
    let mut alice_ws = Ws { s };
    alice_ws.channel("main", "am", json!({})).await;

    let mut bob_ws = open(b, Some(&bt)).await;
    bob_ws.channel("homeTimeline", "h", json!({})).await;
    bob_ws.channel("main", "m", json!({})).await;
    let mut carol_ws = open(b, Some(&ct)).await;
    carol_ws.channel("homeTimeline", "h", json!({})).await;
    carol_ws.channel("main", "m", json!({})).await;
    let mut anon = open(b, None).await;
    anon.channel("localTimeline", "l", json!({})).await;
    // Channels that need an account are not connected for an anonymous socket.
    anon.send(json!({ "type": "connect", "body": { "channel": "main", "id": "x", "pong": true } })).await;
    anon.send(json!({ "type": "connect", "body": { "channel": "homeTimeline", "id": "y", "pong": true } }))
        .await;
    anon.s.send(Message::text("ping")).await.unwrap();
    assert_eq!(anon.next(Duration::from_secs(2)).await, Some(json!("pong")), "only the ping is answered");

    // A public note reaches a follower's home timeline within a second, and the local timeline.
    let t0 = Instant::now();
    let public = post(b, &at, json!({ "text": "hello @bob" })).await;
    let (note, _) = bob_ws.expect("h", "note", |n| n["id"] == public.as_str()).await;
    let latency = t0.elapsed();
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    assert_eq!(note["user"]["username"], "alice");
    assert_eq!(note["myReaction"], Value::Null);
    bob_ws.expect("m", "mention", |n| n["id"] == public.as_str()).await;
    anon.expect("l", "note", |n| n["id"] == public.as_str() && n.get("myReaction").is_none()).await;

    // Followers-only: the follower only. Specified: the one named, on main only.
    let followers = post(b, &at, json!({ "text": "for followers", "visibility": "followers" })).await;
    bob_ws.expect("h", "note", |n| n["id"] == followers.as_str() && n["text"] == "for followers").await;
    let direct =
        post(b, &at, json!({ "text": "just carol", "visibility": "specified", "visibleUserIds": [carol] }))
            .await;
    let (n, _) = carol_ws.expect("m", "mention", |n| n["id"] == direct.as_str()).await;
    assert_eq!(n["text"], "just carol");

    // A captured note hears reactions; its author's main channel gets the notification.
    alice_ws.send(json!({ "type": "subNote", "body": { "id": public } })).await;
    bob_ws.send(json!({ "type": "s", "body": { "id": public } })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        call(b, "notes/reactions/create", &bt, json!({ "noteId": public, "reaction": "👍" })).await.0,
        204
    );
    let mut got = (false, false);
    while got != (true, true) {
        let f = alice_ws.next(Duration::from_secs(5)).await.expect("reaction events");
        if f["type"] == "noteUpdated" {
            assert_eq!(
                f["body"],
                json!({ "id": public, "type": "reacted", "body": { "reaction": "👍", "emoji": null, "userId": bob } })
            );
            got.0 = true;
        } else if f["body"]["type"] == "notification" {
            assert_eq!(f["body"]["body"]["type"], "reaction");
            assert_eq!(f["body"]["body"]["user"]["id"], bob.as_str());
            assert_eq!(f["body"]["body"]["note"]["id"], public.as_str());
            got.1 = true;
        }
    }
    // A reply to bob's note reaches bob's main channel as `reply`; a renote as `renote`.
    let bobs = post(b, &bt, json!({ "text": "bob here" })).await;
    let reply = post(b, &ct, json!({ "text": "hi bob", "replyId": bobs })).await;
    bob_ws.expect("m", "reply", |n| n["id"] == reply.as_str() && n["reply"]["id"] == bobs.as_str()).await;
    let renote = post(b, &ct, json!({ "renoteId": bobs })).await;
    bob_ws.expect("m", "renote", |n| n["id"] == renote.as_str()).await;
    // Following shows up on both ends' main channels.
    assert_eq!(call(b, "following/create", &ct, json!({ "userId": bob })).await.0, 200);
    carol_ws.expect("m", "follow", |u| u["id"] == bob.as_str()).await;
    bob_ws.expect("m", "followed", |u| u["id"] == carol.as_str()).await;
    // The stream follows the follow at once: carol's home timeline now has bob's notes.
    let after = post(b, &bt, json!({ "text": "carol follows me now" })).await;
    carol_ws.expect("h", "note", |n| n["id"] == after.as_str()).await;
    // Reading notifications over the socket marks them read and says so on main.
    alice_ws.send(json!({ "type": "readNotification", "body": {} })).await;
    alice_ws.expect("am", "readAllNotifications", |_| true).await;

    // Nobody saw what was not theirs.
    let carol_saw = note_ids(&carol_ws.drain(Duration::from_millis(500)).await);
    assert!(!carol_saw.contains(&followers) && !carol_saw.contains(&public), "{carol_saw:?}");
    let anon_saw = note_ids(&anon.drain(Duration::from_millis(300)).await);
    assert!(!anon_saw.contains(&followers) && !anon_saw.contains(&direct));

    // Profile changes reach the account's own main channel.
    assert_eq!(call(b, "i/update", &bt, json!({ "name": "Bob B." })).await.0, 200);
    bob_ws.expect("m", "meUpdated", |me| me["name"] == "Bob B." && me["id"] == bob.as_str()).await;
    // A locked account hears of follow requests.
    assert_eq!(call(b, "i/update", &bt, json!({ "isLocked": true })).await.0, 200);
    let (dave, dt) = user(b, &admin, "dave").await;
    assert_eq!(call(b, "following/create", &dt, json!({ "userId": bob })).await.0, 200);
    bob_ws.expect("m", "receiveFollowRequest", |u| u["id"] == dave.as_str()).await;
    // A regenerated token ends the sockets opened with the old one, after saying so.
    let (s, _) = call(b, "i/regenerate-token", &ct, json!({ "password": "password123" })).await;
    assert_eq!(s, 204);
    carol_ws.expect("m", "myTokenRegenerated", |_| true).await;
    assert!(carol_ws.closes_within(Duration::from_secs(3)).await, "the old token's socket stayed open");
    let old = format!("{}/streaming?i={ct}", b.replace("http://", "ws://"));
    assert!(tokio_tungstenite::connect_async(old).await.is_err(), "the old token still upgrades");
    let (_, carol_now) =
        api(b, "signin-flow", json!({ "username": "carol", "password": "password123" })).await;
    let ct = carol_now["i"].as_str().expect("a new token").to_string();

    // Hostile frames: garbage, unknown types, a flood of connects, a huge frame.
    let mut hostile = open(b, Some(&ct)).await;
    for junk in [
        "{{{",
        "null",
        "[]",
        r#"{"type":"connect"}"#,
        r#"{"type":"connect","body":{"channel":5}}"#,
        r#"{"type":"subNote","body":{"id":{"x":1}}}"#,
        r#"{"type":"nope","body":1}"#,
    ] {
        hostile.s.send(Message::text(junk)).await.unwrap();
    }
    hostile.s.send(Message::binary(vec![0u8; 100])).await.unwrap();
    for i in 0..100 {
        let f = json!({ "type": "connect", "body": { "channel": "localTimeline", "id": format!("c{i}"), "pong": true } });
        hostile.s.send(Message::text(f.to_string())).await.unwrap();
    }
    let acks = hostile.drain(Duration::from_millis(800)).await;
    assert_eq!(acks.iter().filter(|f| f["type"] == "connected").count(), 32, "at most 32 channels");
    // A flood of note subscriptions (each would read the database) is cut off after a burst.
    let t0 = Instant::now();
    for i in 0..3000 {
        let f = json!({ "type": "subNote", "body": { "id": format!("nonexistent{i:05}") } });
        hostile.s.send(Message::text(f.to_string())).await.unwrap();
    }
    hostile.s.send(Message::text("ping")).await.unwrap();
    assert_eq!(hostile.next(Duration::from_secs(10)).await, Some(json!("pong")));
    assert!(t0.elapsed() < Duration::from_secs(5), "the flood took {:?}", t0.elapsed());
    let _ = hostile.s.send(Message::text("x".repeat(200 * 1024))).await;
    assert!(hostile.drain(Duration::from_secs(2)).await.iter().all(|f| f["type"] != "channel"));
    // …and everyone else still hears the next note.
    let still = post(b, &at, json!({ "text": "still here" })).await;
    bob_ws.expect("h", "note", |n| n["id"] == still.as_str()).await;
    anon.expect("l", "note", |n| n["id"] == still.as_str()).await;
    assert_eq!(get(b, "/livez").await.0, 200);

    // Suspending an account from the command line closes its sockets on the running server.
    let (ok, out, err) = inst.cli(&["admin", "user", "suspend", "--username", "alice"]);
    assert!(ok, "{out}{err}");
    assert!(alice_ws.closes_within(Duration::from_secs(3)).await, "a suspended account's socket stayed open");

    // Stopping the server closes the sockets instead of waiting for them.
    let t0 = Instant::now();
    assert!(server.stop().success());
    assert!(t0.elapsed() < Duration::from_secs(5), "stopping took {:?}", t0.elapsed());
    assert!(
        bob_ws.closes_within(Duration::from_secs(2)).await,
        "the socket stayed open after the server stopped"
    );
}

#[tokio::test]
async fn the_stream_and_the_rest_timelines_agree_for_the_same_viewer() {
    let inst = Instance::init("stream_agree").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (v, vt) = user(b, &admin, "viewer").await;
    let mut others = Vec::new();
    for name in ["a", "bee", "cee", "dee", "eve"] {
        others.push(user(b, &admin, name).await);
    }
    let id = |i: usize| others[i].0.clone();
    let tok = |i: usize| others[i].1.clone();
    // viewer follows a (replies off) and bee (replies on), mutes cee, renote-mutes bee, is
    // blocked by dee; eve is a stranger.
    call(b, "following/create", &vt, json!({ "userId": id(0) })).await;
    call(b, "following/create", &vt, json!({ "userId": id(1), "withReplies": true })).await;
    call(b, "following/create", &vt, json!({ "userId": id(2) })).await;
    assert_eq!(call(b, "mute/create", &vt, json!({ "userId": id(2) })).await.0, 204);
    assert_eq!(call(b, "renote-mute/create", &vt, json!({ "userId": id(1) })).await.0, 204);
    assert_eq!(call(b, "blocking/create", &tok(3), json!({ "userId": v })).await.0, 200);
    // Quotes hold a word the viewer hard-mutes: neither form shows them.
    let r = call(b, "i/update", &vt, json!({ "hardMutedWords": [["a", "quote"]] })).await;
    assert_eq!(r.0, 200, "{}", r.1);

    let mut ws = open(b, Some(&vt)).await;
    let channels: [(&str, &str, Value); 6] = [
        ("home", "homeTimeline", json!({})),
        ("home-norenotes", "homeTimeline", json!({ "withRenotes": false })),
        ("local", "localTimeline", json!({})),
        ("local-replies", "localTimeline", json!({ "withReplies": true })),
        ("hybrid", "hybridTimeline", json!({})),
        ("global", "globalTimeline", json!({})),
    ];
    for (cid, name, params) in &channels {
        ws.channel(name, cid, params.clone()).await;
    }

    // Every kind of note from every kind of author.
    let mut posted: Vec<String> = Vec::new();
    let seed = post(b, &vt, json!({ "text": "viewer's own" })).await;
    posted.push(seed.clone());
    // Plain notes of every visibility first, then replies, renotes and quotes of each other's.
    let mut by_author: Vec<Vec<String>> = vec![vec![seed]];
    for (i, (_, t)) in others.iter().enumerate() {
        let mut mine = Vec::new();
        for vis in ["public", "home", "followers"] {
            mine.push(post(b, t, json!({ "text": format!("{vis} {i}"), "visibility": vis })).await);
        }
        posted.extend(mine.iter().cloned());
        by_author.push(mine);
    }
    for (i, (_, t)) in others.iter().enumerate() {
        let own = &by_author[i + 1];
        let next = &by_author[1 + (i + 1) % others.len()];
        let viewer_note = &by_author[0][0];
        for body in [
            json!({ "text": "a reply to another", "replyId": next[0] }),
            json!({ "text": "a reply to the viewer", "replyId": viewer_note }),
            json!({ "text": "a self reply", "replyId": own[0] }),
            json!({ "renoteId": next[0] }),
            json!({ "renoteId": own[1] }),
            json!({ "text": "a quote", "renoteId": next[1] }),
            json!({ "text": "to the viewer", "visibility": "specified", "visibleUserIds": [v] }),
            json!({ "text": "to nobody", "visibility": "specified" }),
            json!({ "text": "a followers reply", "visibility": "followers", "replyId": next[0] }),
        ] {
            let (s, r) = call(b, "notes/create", t, body).await;
            if s == 200 {
                posted.push(r["createdNote"]["id"].as_str().unwrap().to_string());
            }
        }
    }
    let posted: HashSet<String> = posted.into_iter().collect();
    let frames = ws.drain(Duration::from_secs(2)).await;
    let mut streamed: HashMap<String, HashSet<String>> = HashMap::new();
    for f in &frames {
        if f["type"] == "channel" && f["body"]["type"] == "note" {
            let ch = f["body"]["id"].as_str().unwrap().to_string();
            streamed.entry(ch).or_default().insert(f["body"]["body"]["id"].as_str().unwrap().to_string());
        }
    }
    let rest = [
        ("home", "notes/timeline", json!({})),
        ("home-norenotes", "notes/timeline", json!({ "withRenotes": false })),
        ("local", "notes/local-timeline", json!({})),
        ("local-replies", "notes/local-timeline", json!({ "withReplies": true })),
        ("hybrid", "notes/hybrid-timeline", json!({})),
        ("global", "notes/global-timeline", json!({})),
    ];
    let mut compared = 0;
    eprintln!(
        "posted {} streamed {:?}",
        posted.len(),
        streamed.iter().map(|(k, v)| (k.clone(), v.len())).collect::<Vec<_>>()
    );
    for (cid, ep, mut params) in rest {
        params["limit"] = json!(100);
        let (s, page) = call(b, ep, &vt, params).await;
        assert_eq!(s, 200, "{page}");
        let listed: HashSet<String> = page
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_string())
            .filter(|id| posted.contains(id))
            .collect();
        assert!(listed.len() < 100, "{cid}: the page holds every note");
        assert!(!page.as_array().unwrap().iter().any(|n| n["text"] == "a quote"), "{cid}: hard-muted");
        let got = streamed.remove(cid).unwrap_or_default();
        assert_eq!(
            got,
            listed,
            "{cid}: streamed {:?} but listed {:?}",
            got.difference(&listed),
            listed.difference(&got)
        );
        compared += listed.len();
    }
    assert!(compared > 40, "only {compared} notes compared");
    drop(server);
}

#[tokio::test]
async fn two_processes_deliver_as_one_server_and_a_redis_restart_keeps_sockets() {
    let mut redis = OwnRedis::new();
    let db = TestDb::new("stream_two");
    let inst = Instance::init_with("stream_two", &db.url, &redis.url(), &[]).without_rate_limits();
    let (a, admin) = serve_signed_in(&inst).await;
    let port_b = free_port();
    let b_server = Server::start(
        &inst.config,
        &["--listen", &format!("127.0.0.1:{port_b}")],
        format!("http://127.0.0.1:{port_b}"),
    );
    wait_status(&b_server, "/readyz", 200, Duration::from_secs(20)).await;
    let (alice, at) = user(&a.base, &admin, "alice").await;
    let (_, bt) = user(&a.base, &admin, "bob").await;
    assert_eq!(call(&a.base, "following/create", &bt, json!({ "userId": alice })).await.0, 200);

    // A socket on process B hears a note posted through process A.
    let mut ws = open(&b_server.base, Some(&bt)).await;
    ws.channel("homeTimeline", "h", json!({})).await;
    let n = post(&a.base, &at, json!({ "text": "from A" })).await;
    let (_, took) = ws.expect("h", "note", |x| x["id"] == n.as_str()).await;
    assert!(took < Duration::from_secs(1), "{took:?}");

    // Redis restarts: the socket stays open, and once the subscription is back notes flow again.
    redis.stop();
    // Taken before the health probe (every second) sees Redis gone, or refused with 503 once it
    // has: never accepted and then lost.
    let (s, r) = call(&a.base, "notes/create", &at, json!({ "text": "while redis is away" })).await;
    let during = match s {
        200 => r["createdNote"]["id"].as_str().map(str::to_owned),
        503 => None,
        _ => panic!("{s} {r}"),
    };
    redis.start();
    wait_status(&a, "/readyz", 200, Duration::from_secs(20)).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = false;
    while !seen && Instant::now() < deadline {
        let x = post(&a.base, &at, json!({ "text": "after the restart" })).await;
        let frames = ws.drain(Duration::from_millis(500)).await;
        seen = note_ids(&frames).contains(&x);
    }
    assert!(seen, "no note reached the socket after Redis came back");
    // A note taken while Redis was away was stored all the same.
    if let Some(during) = during {
        let (s, shown) = call(&a.base, "notes/show", &bt, json!({ "noteId": during })).await;
        assert_eq!((s, shown["text"].as_str()), (200, Some("while redis is away")));
    }
    drop(b_server);
    drop(a);
}

/// Announcements reach whom they are for: everyone's as a frame on every socket, a user's on
/// their main channel only; unread ones are in `i` until read; a user's own one ends when read;
/// the moderators list, change and delete them, each step in the moderation log.
#[tokio::test]
async fn announcements_reach_whom_they_are_for() {
    let inst = Instance::init("announcements").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice_id, alice) = user(b, &admin, "alice").await;
    let (_, carol) = user(b, &admin, "carol").await;
    let mut a_ws = open(b, Some(&alice)).await;
    a_ws.channel("main", "m", json!({})).await;
    let mut c_ws = open(b, Some(&carol)).await;
    c_ws.channel("main", "m", json!({})).await;
    let mut anon_ws = open(b, None).await;

    // Only moderators announce; bad values are refused.
    let r = call(b, "admin/announcements/create", &alice, json!({ "title": "t", "text": "x" })).await;
    assert_eq!(r.0, 403, "{}", r.1);
    for bad in [
        json!({ "title": "t", "text": "x", "icon": "skull" }),
        json!({ "title": "", "text": "x" }),
        json!({ "title": "t", "text": "x", "imageUrl": "javascript:alert(1)" }),
        json!({ "title": "t", "text": "x", "userId": "nobody" }),
    ] {
        let r = call(b, "admin/announcements/create", &admin, bad.clone()).await;
        assert_eq!(r.0, 400, "{bad}: {}", r.1);
    }

    let create = |body: Value| {
        let admin = admin.clone();
        async move {
            let (s, a) = call(b, "admin/announcements/create", &admin, body).await;
            assert_eq!(s, 200, "{a}");
            a["id"].as_str().unwrap().to_string()
        }
    };
    let existing = create(json!({ "title": "For those here", "text": "hi", "forExistingUsers": true })).await;
    // Everyone's reaches every socket, signed in or not, outside any channel.
    for ws in [&mut a_ws, &mut anon_ws] {
        let f = ws.next(Duration::from_secs(5)).await.expect("announcementCreated");
        assert_eq!(f["type"], "announcementCreated", "{f}");
        assert_eq!(f["body"]["announcement"]["id"], json!(existing));
    }
    let everyone =
        create(json!({ "title": "News", "text": "**new**", "icon": "warning", "display": "banner" })).await;
    let quiet = create(json!({ "title": "Quiet", "text": "x", "silence": true })).await;
    let personal =
        create(json!({ "title": "For alice", "text": "x", "userId": alice_id, "display": "dialog" })).await;
    let (body, _) =
        a_ws.expect("m", "announcementCreated", |b| b["announcement"]["id"] == json!(personal)).await;
    assert_eq!(body["announcement"]["forYou"], json!(true));
    let others = c_ws.drain(Duration::from_millis(500)).await;
    assert!(!others.iter().any(|f| f.to_string().contains(&personal)), "carol hears alice's: {others:?}");

    // Bob joins later: what was for existing users is not his to read.
    let (_, bob) = user(b, &admin, "bob").await;
    let unread = |token: String| async move {
        let (_, me) = call(b, "i", &token, json!({})).await;
        let ids: Vec<String> = me["unreadAnnouncements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().into())
            .collect();
        (me["hasUnreadAnnouncement"].as_bool().unwrap(), ids)
    };
    assert_eq!(
        unread(alice.clone()).await,
        (true, vec![personal.clone(), everyone.clone(), existing.clone()])
    );
    assert_eq!(unread(bob.clone()).await, (true, vec![everyone.clone()]));
    let (_, listed) = call(b, "announcements", &bob, json!({})).await;
    assert_eq!(listed.as_array().unwrap().len(), 3, "bob lists everyone's (quiet too): {listed}");
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["isRead"] == json!(false) && a["forYou"] == json!(false)));
    let (_, anon) = api(b, "announcements", json!({})).await;
    assert!(anon.as_array().unwrap().iter().all(|a| a.get("isRead").is_none() && a["id"] != json!(personal)));
    let r = call(b, "announcements/show", &bob, json!({ "announcementId": personal })).await;
    assert_eq!((r.0, r.1["error"]["code"].as_str()), (400, Some("NO_SUCH_ANNOUNCEMENT")));
    let (_, q) = call(b, "announcements/show", &bob, json!({ "announcementId": quiet })).await;
    assert_eq!(q["silence"], json!(true));

    // Reading: alice's own one ends; when nothing is left, her sockets hear it.
    for id in [&personal, &everyone] {
        let r = call(b, "i/read-announcement", &alice, json!({ "announcementId": id })).await;
        assert_eq!(r.0, 204, "{}", r.1);
    }
    assert_eq!(unread(alice.clone()).await, (true, vec![existing.clone()]));
    assert_eq!(call(b, "i/read-announcement", &alice, json!({ "announcementId": existing })).await.0, 204);
    a_ws.expect("m", "readAllAnnouncements", |_| true).await;
    assert_eq!(unread(alice.clone()).await, (false, vec![]));
    // Reading someone else's, or twice, changes nothing.
    assert_eq!(call(b, "i/read-announcement", &bob, json!({ "announcementId": personal })).await.0, 204);
    assert_eq!(call(b, "i/read-announcement", &alice, json!({ "announcementId": existing })).await.0, 204);
    let (_, ended) = call(b, "announcements", &alice, json!({ "isActive": false })).await;
    assert_eq!(ended[0]["id"], json!(personal), "{ended}");

    // The moderators' list: everyone's with read counts; one user's by id.
    let (_, all) = call(b, "admin/announcements/list", &admin, json!({})).await;
    let reads: Vec<(String, i64)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_string(), a["reads"].as_i64().unwrap()))
        .collect();
    assert_eq!(reads, vec![(quiet.clone(), 0), (everyone.clone(), 1), (existing.clone(), 1)]);
    let (_, hers) =
        call(b, "admin/announcements/list", &admin, json!({ "userId": alice_id, "status": "archived" }))
            .await;
    assert_eq!((hers[0]["id"].clone(), hers[0]["isActive"].clone()), (json!(personal), json!(false)));

    // Change, end, delete.
    let r = call(
        b,
        "admin/announcements/update",
        &admin,
        json!({ "id": everyone, "title": "News!", "isActive": false }),
    )
    .await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (_, now) = call(b, "announcements", &bob, json!({})).await;
    assert!(!now.as_array().unwrap().iter().any(|a| a["id"] == json!(everyone)), "{now}");
    let r = call(b, "admin/announcements/update", &admin, json!({ "id": "nope", "title": "x" })).await;
    assert_eq!(r.1["error"]["id"], json!("d3aae5a7-6372-4cb4-b61c-f511ffc2d7cc"));
    assert_eq!(call(b, "admin/announcements/delete", &admin, json!({ "id": everyone })).await.0, 204);
    let r = call(b, "admin/announcements/delete", &admin, json!({ "id": everyone })).await;
    assert_eq!(r.1["error"]["id"], json!("ecad8040-a276-4e85-bda9-015a708d291e"));
    let (_, logs) = call(b, "admin/show-moderation-logs", &admin, json!({})).await;
    let kinds: Vec<&str> = logs.as_array().unwrap().iter().map(|l| l["type"].as_str().unwrap()).collect();
    for k in [
        "createGlobalAnnouncement",
        "createUserAnnouncement",
        "updateGlobalAnnouncement",
        "deleteGlobalAnnouncement",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let update = logs.as_array().unwrap().iter().find(|l| l["type"] == "updateGlobalAnnouncement").unwrap();
    assert_eq!(
        (update["info"]["before"]["title"].as_str(), update["info"]["after"]["title"].as_str()),
        (Some("News"), Some("News!"))
    );
}

/// A report reaches the moderators' `admin` channels at once; others cannot open one.
#[tokio::test]
async fn reports_reach_the_admin_channel() {
    let inst = Instance::init("admin_channel").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (_, alice) = user(b, &admin, "alice").await;
    let (bob_id, _) = user(b, &admin, "bob").await;
    let mut mod_ws = open(b, Some(&admin)).await;
    mod_ws.channel("admin", "a", json!({})).await;
    let mut alice_ws = open(b, Some(&alice)).await;
    alice_ws
        .send(json!({ "type": "connect", "body": { "channel": "admin", "id": "a", "params": {} } }))
        .await;
    assert_eq!(
        alice_ws.drain(Duration::from_millis(500)).await,
        Vec::<Value>::new(),
        "no admin channel for alice"
    );
    let r = call(b, "users/report-abuse", &alice, json!({ "userId": bob_id, "comment": "spam" })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (body, took) = mod_ws.expect("a", "newAbuseUserReport", |b| b["targetUserId"] == json!(bob_id)).await;
    assert_eq!(body["comment"], json!("spam"));
    assert!(body["id"].is_string() && body["reporterId"].is_string(), "{body}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(alice_ws.drain(Duration::from_millis(300)).await, Vec::<Value>::new());
}
