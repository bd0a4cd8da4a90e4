//! The inbox against a stranger's mistakes and tricks: a fake peer (served here, with a key
//! pair made here) posts unsigned, wrongly signed, tampered, replayed, oversized, malformed and
//! misattributed activities. Each is refused before anything is stored, or dropped by the
//! inbox job; the server keeps serving; a well-signed note from the same peer is stored.
//! And a server that does not allow insecure peers refuses to fetch internal addresses.

mod common;
use actix_web::{web, App, HttpResponse, HttpServer};
use common::*;
use misskey_rs::ap::signature::{digest, http_date, Signer};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

struct Peer {
    base: String,
    other_base: String,
    signer: Signer,
    wrong: Signer,
}

fn keypair() -> (String, String) {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    (
        private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap(),
        private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
    )
}

/// A peer serving one actor, `/users/mallory`, reachable as 127.0.0.1:port and localhost:port
/// (two hosts to the server under test).
async fn peer() -> Peer {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let (public, private) = keypair();
    let (_, wrong_private) = keypair();
    let actor = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": format!("{base}/users/mallory"),
        "type": "Person",
        "preferredUsername": "mallory",
        "inbox": format!("{base}/users/mallory/inbox"),
        "publicKey": { "id": format!("{base}/users/mallory#main-key"), "owner": format!("{base}/users/mallory"), "publicKeyPem": public },
    });
    let server = HttpServer::new(move || {
        let actor = actor.clone();
        App::new()
            .route(
                "/users/mallory",
                web::get().to(move || {
                    let actor = actor.clone();
                    async move { HttpResponse::Ok().content_type("application/activity+json").json(actor) }
                }),
            )
            .default_service(web::to(|| async { HttpResponse::Accepted().finish() }))
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .unwrap()
    .run();
    tokio::spawn(server);
    let key_id = format!("{base}/users/mallory#main-key");
    Peer {
        signer: Signer::new(&private, &key_id).unwrap(),
        wrong: Signer::new(&wrong_private, &key_id).unwrap(),
        other_base: format!("http://localhost:{port}"),
        base,
    }
}

/// Posts `body` to the inbox at `url` signed by `signer` over `date` (None: unsigned).
async fn post(
    url: &str,
    host: &str,
    body: &[u8],
    signer: Option<&Signer>,
    date: chrono::DateTime<chrono::Utc>,
    sign_body: Option<&[u8]>,
) -> u16 {
    let date = http_date(date);
    let signed_digest = digest(sign_body.unwrap_or(body));
    let mut req = client()
        .post(url)
        .header("content-type", "application/activity+json")
        .header("date", &date)
        .header("digest", &signed_digest)
        .body(body.to_vec());
    if let Some(s) = signer {
        let sig = s.sign("POST", "/inbox", &[("host", host), ("date", &date), ("digest", &signed_digest)]);
        req = req.header("signature", sig);
    }
    req.send().await.unwrap().status().as_u16()
}

fn create(base: &str, note_base: &str, n: u32) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{base}/activities/{n}"),
        "type": "Create",
        "actor": format!("{base}/users/mallory"),
        "object": {
            "id": format!("{note_base}/notes/{n}"),
            "type": "Note",
            "attributedTo": format!("{base}/users/mallory"),
            "content": format!("<p>note {n}</p>"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    })
}

#[tokio::test]
async fn hostile_activities_are_refused_and_nothing_is_stored() {
    let inst = Instance::init("fed_hostile").without_rate_limits().federating();
    let (server, admin) = serve_signed_in(&inst).await;
    let peer = peer().await;
    let inbox = format!("{}/inbox", server.base);
    let host = inst.host().replace("localhost", "127.0.0.1");
    let now = chrono::Utc::now();
    let db = &inst.db.as_ref().unwrap().url;
    let counts = || {
        psql(
            db,
            "SELECT (SELECT count(*) FROM notes) || ' ' || (SELECT count(*) FROM jobs WHERE queue = 'inbox')",
        )
    };
    let before = counts();

    let good = serde_json::to_vec(&create(&peer.base, &peer.base, 1)).unwrap();
    let s = |v: u16| v;
    // Unsigned, signed with another key, body changed after signing, replayed, from the future.
    assert_eq!(s(post(&inbox, &host, &good, None, now, None).await), 401, "unsigned");
    assert_eq!(post(&inbox, &host, &good, Some(&peer.wrong), now, None).await, 401, "wrong key");
    let tampered = serde_json::to_vec(&create(&peer.base, &peer.base, 2)).unwrap();
    assert_eq!(
        post(&inbox, &host, &tampered, Some(&peer.signer), now, Some(&good)).await,
        401,
        "tampered body"
    );
    let old = now - chrono::Duration::hours(3);
    assert_eq!(post(&inbox, &host, &good, Some(&peer.signer), old, None).await, 401, "replayed date");
    let future = now + chrono::Duration::hours(1);
    assert_eq!(post(&inbox, &host, &good, Some(&peer.signer), future, None).await, 401, "future date");
    // Signed for another host than the one it reached.
    let sig_elsewhere = post(&inbox, "elsewhere.example", &good, Some(&peer.signer), now, None).await;
    assert_eq!(sig_elsewhere, 401, "signed for another host");
    // The key's actor is not the activity's actor (another host claims to be it).
    let claimed = create(&peer.other_base, &peer.other_base, 3);
    let claimed = serde_json::to_vec(&claimed).unwrap();
    assert_eq!(
        post(&inbox, &host, &claimed, Some(&peer.signer), now, None).await,
        401,
        "actor on another host"
    );
    // Not JSON, not an object, too large, wrong content type.
    assert_eq!(post(&inbox, &host, b"{not json", Some(&peer.signer), now, None).await, 400);
    assert_eq!(post(&inbox, &host, b"[1,2]", Some(&peer.signer), now, None).await, 400);
    let huge = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(post(&inbox, &host, &huge, Some(&peer.signer), now, None).await, 413);
    let r = client().post(&inbox).header("content-type", "text/plain").body("x").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 415);
    // RFC 9421 signatures are refused so that the peer falls back to draft-cavage.
    let r = client()
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .header("signature-input", "sig1=(\"@method\");keyid=\"k\"")
        .header("signature", "sig1=:AAAA:")
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(counts(), before, "nothing stored or queued by refused requests");

    // Signed correctly, but the note is another host's: accepted for processing, then dropped.
    let foreign = serde_json::to_vec(&create(&peer.base, &peer.other_base, 4)).unwrap();
    assert_eq!(post(&inbox, &host, &foreign, Some(&peer.signer), now, None).await, 202);
    // Signed correctly and its own: stored.
    assert_eq!(post(&inbox, &host, &good, Some(&peer.signer), now, None).await, 202);
    // The same activity again is taken once.
    assert_eq!(post(&inbox, &host, &good, Some(&peer.signer), now, None).await, 202);
    let t0 = Instant::now();
    loop {
        let n = psql(db, &format!("SELECT count(*) FROM notes WHERE uri = '{}/notes/1'", peer.base));
        let pending = psql(db, "SELECT count(*) FROM jobs WHERE queue = 'inbox' AND state <> 'dead'");
        if n == "1" && pending == "0" {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the good note was not stored ({n}, {pending} pending)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(psql(db, "SELECT count(*) FROM notes WHERE user_host IS NOT NULL"), "1", "only the good note");
    let (_, tl) = call(&server.base, "notes/global-timeline", &admin, json!({})).await;
    assert!(tl.as_array().unwrap().iter().any(|n| n["text"] == "note 1"), "{tl}");

    // Many at once are enqueued together; one the database cannot hold (a NUL character, which
    // PostgreSQL's jsonb refuses) spoils nothing of the others arriving beside it.
    let mut bodies: Vec<Vec<u8>> =
        (10..30).map(|n| serde_json::to_vec(&create(&peer.base, &peer.base, n)).unwrap()).collect();
    let mut poisoned = create(&peer.base, &peer.base, 99);
    poisoned["object"]["content"] = json!("<p>nul \u{0} inside</p>");
    bodies.insert(7, serde_json::to_vec(&poisoned).unwrap());
    let statuses = futures_util::future::join_all(
        bodies.iter().map(|b| post(&inbox, &host, b, Some(&peer.signer), now, None)),
    )
    .await;
    for (i, st) in statuses.iter().enumerate() {
        if i != 7 {
            assert_eq!(*st, 202, "activity {i} of the batch: {statuses:?}");
        }
    }
    let t0 = Instant::now();
    while psql(db, "SELECT count(*) FROM notes WHERE uri ~ '/notes/[12][0-9]$'") != "20" {
        assert!(t0.elapsed() < Duration::from_secs(20), "the batch was not stored: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Pins: only the signer's own note, only on the signer's featured collection.
    let (_, mine) = call(&server.base, "notes/create", &admin, json!({ "text": "the admin's" })).await;
    let admin_note = format!("http://{}/notes/{}", inst.host(), mine["createdNote"]["id"].as_str().unwrap());
    let mallory = format!("{}/users/mallory", peer.base);
    let pin = |n: u32, target: String, object: String| {
        serde_json::to_vec(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/pin{n}", peer.base), "type": "Add", "actor": mallory,
            "target": target, "object": object,
        }))
        .unwrap()
    };
    let featured = format!("{mallory}/collections/featured");
    let note1 = format!("{}/notes/1", peer.base);
    let elsewhere = format!("{}/users/mallory/collections/featured", peer.other_base);
    let pinned = "SELECT coalesce(array_to_string(p.pinned_note_ids, ','), '') FROM user_profiles p \
                  JOIN users u ON u.id = p.user_id WHERE u.host IS NOT NULL";
    let drained = async || {
        let t0 = Instant::now();
        while psql(db, "SELECT count(*) FROM jobs WHERE queue = 'inbox' AND state <> 'dead'") != "0" {
            assert!(t0.elapsed() < Duration::from_secs(20), "pins not processed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    for body in [pin(1, elsewhere, note1.clone()), pin(2, featured.clone(), admin_note)] {
        assert_eq!(post(&inbox, &host, &body, Some(&peer.signer), now, None).await, 202);
    }
    drained().await;
    assert_eq!(psql(db, pinned), "", "another host's collection, another user's note: nothing pinned");
    assert_eq!(post(&inbox, &host, &pin(3, featured, note1), Some(&peer.signer), now, None).await, 202);
    drained().await;
    let good_id = psql(db, &format!("SELECT id FROM notes WHERE uri = '{}/notes/1'", peer.base));
    assert_eq!(psql(db, pinned), good_id, "the signer's own note, on its own collection");
    assert_eq!(get(&server.base, "/livez").await.0, 200, "the server is fine");
    server.stop();
}

#[tokio::test]
async fn internal_addresses_are_not_fetched_without_insecure_peers() {
    let inst = Instance::init("fed_ssrf").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    for uri in [
        "http://127.0.0.1:5432/users/x",
        "https://127.0.0.1/users/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/users/x",
        "https://localhost/users/x",
        "@someone@127.0.0.1",
    ] {
        let (s, r) = call(&server.base, "ap/show", &admin, json!({ "uri": uri })).await;
        assert_eq!((s, r["error"]["code"].as_str()), (400, Some("NO_SUCH_OBJECT")), "{uri}: {r}");
    }
    server.stop();
}

#[tokio::test]
async fn a_silenced_servers_notes_stay_out_of_public_timelines_and_its_follows_ask() {
    let inst = Instance::init("fed_silenced").without_rate_limits().federating();
    let mut text = std::fs::read_to_string(&inst.config).unwrap();
    text = text.replace("[federation]\n", "[federation]\nsilenced_hosts = [\"127.0.0.1\"]\n");
    std::fs::write(&inst.config, text).unwrap();
    let (server, admin) = serve_signed_in(&inst).await;
    let (bob_id, bob) = user(&server.base, &admin, "bob").await;
    let peer = peer().await;
    let inbox = format!("{}/inbox", server.base);
    let host = inst.host().replace("localhost", "127.0.0.1");
    let now = chrono::Utc::now();
    let note = serde_json::to_vec(&create(&peer.base, &peer.base, 7)).unwrap();
    assert_eq!(post(&inbox, &host, &note, Some(&peer.signer), now, None).await, 202);
    let follow = json!({
        "id": format!("{}/follows/1", peer.base), "type": "Follow",
        "actor": format!("{}/users/mallory", peer.base), "object": format!("http://{}/users/{bob_id}", inst.host()),
    });
    assert_eq!(
        post(&inbox, &host, &serde_json::to_vec(&follow).unwrap(), Some(&peer.signer), now, None).await,
        202
    );
    let db = &inst.db.as_ref().unwrap().url;
    let t0 = Instant::now();
    while psql(db, "SELECT count(*) FROM jobs WHERE queue = 'inbox'") != "0" {
        assert!(t0.elapsed() < Duration::from_secs(20), "inbox jobs left");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let visibility = psql(db, &format!("SELECT visibility FROM notes WHERE uri = '{}/notes/7'", peer.base));
    assert_eq!(visibility, "home", "a silenced server's public note is kept as home");
    let (_, tl) = call(&server.base, "notes/global-timeline", &admin, json!({})).await;
    assert_eq!(tl, json!([]), "{tl}");
    let (_, requests) = call(&server.base, "following/requests/list", &bob, json!({})).await;
    assert_eq!(requests[0]["follower"]["username"], "mallory", "the follow waits for approval: {requests}");
    server.stop();
}

/// The instance's prohibited words hold for other servers' notes too: such a note is dropped
/// (its job ends at once, never retried), an edit bringing one in is refused, others land.
#[tokio::test]
async fn prohibited_words_keep_remote_notes_out() {
    let inst = Instance::init("fed_words").without_rate_limits().federating();
    let (server, admin) = serve_signed_in(&inst).await;
    let words = json!({ "prohibitedWords": ["forbidden"], "sensitiveWords": ["nsfw"] });
    assert_eq!(call(&server.base, "admin/update-meta", &admin, words).await.0, 204);
    let peer = peer().await;
    let inbox = format!("{}/inbox", server.base);
    let host = inst.host().replace("localhost", "127.0.0.1");
    let now = chrono::Utc::now();
    for (n, content) in [(1, "a forbidden word"), (2, "all fine"), (3, "nsfw stuff")] {
        let mut act = create(&peer.base, &peer.base, n);
        act["object"]["content"] = json!(format!("<p>{content}</p>"));
        let body = serde_json::to_vec(&act).unwrap();
        assert_eq!(post(&inbox, &host, &body, Some(&peer.signer), now, None).await, 202);
    }
    let db = &inst.db.as_ref().unwrap().url;
    let t0 = Instant::now();
    while psql(db, "SELECT count(*) FROM jobs WHERE queue = 'inbox' AND state <> 'dead'") != "0" {
        assert!(t0.elapsed() < Duration::from_secs(20), "inbox jobs left");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = psql(db, "SELECT string_agg(text || ':' || visibility, ',' ORDER BY text) FROM notes");
    assert_eq!(stored, "all fine:public,nsfw stuff:home");
    // An edit that brings a prohibited word in is refused; the note keeps its text.
    let update = json!({
        "id": format!("{}/activities/edit", peer.base), "type": "Update",
        "actor": format!("{}/users/mallory", peer.base),
        "object": {
            "id": format!("{}/notes/2", peer.base), "type": "Note",
            "attributedTo": format!("{}/users/mallory", peer.base),
            "content": "<p>now forbidden</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    });
    let body = serde_json::to_vec(&update).unwrap();
    assert_eq!(post(&inbox, &host, &body, Some(&peer.signer), now, None).await, 202);
    let t0 = Instant::now();
    while psql(db, "SELECT count(*) FROM jobs WHERE queue = 'inbox' AND state <> 'dead'") != "0" {
        assert!(t0.elapsed() < Duration::from_secs(20), "inbox jobs left");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(psql(db, &format!("SELECT text FROM notes WHERE uri = '{}/notes/2'", peer.base)), "all fine");
    server.stop();
}

/// Blocking and silencing from the control panel (`admin/update-meta`): the process that took
/// the change applies it at once, a change written by another process arrives within seconds,
/// a bad host name is refused with the lists kept, and the moderation log records it.
#[tokio::test]
async fn servers_are_blocked_and_silenced_at_runtime() {
    let inst = Instance::init("fed_runtime_block").without_rate_limits().federating();
    let (server, admin) = serve_signed_in(&inst).await;
    let peer = peer().await;
    let inbox = format!("{}/inbox", server.base);
    let host = inst.host().replace("localhost", "127.0.0.1");
    let db = &inst.db.as_ref().unwrap().url;
    let now = chrono::Utc::now();
    let send = |n: u32| serde_json::to_vec(&create(&peer.base, &peer.base, n)).unwrap();
    let drained = || async {
        let t0 = Instant::now();
        while psql(db, "SELECT count(*) FROM jobs WHERE queue = 'inbox' AND state <> 'dead'") != "0" {
            assert!(t0.elapsed() < Duration::from_secs(20), "inbox jobs left");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(post(&inbox, &host, &send(1), Some(&peer.signer), now, None).await, 202);
    drained().await;
    let peer_host = peer.base.trim_start_matches("http://").to_string();

    // Blocked: refused at once, shown as blocked.
    let block = json!({ "blockedHosts": ["  127.0.0.1 ", "Bad.Example", ""] });
    assert_eq!(call(&server.base, "admin/update-meta", &admin, block).await.0, 204);
    assert_eq!(post(&inbox, &host, &send(2), Some(&peer.signer), now, None).await, 403);
    let (_, meta) = call(&server.base, "admin/meta", &admin, json!({})).await;
    assert_eq!(meta["blockedHosts"], json!(["127.0.0.1", "bad.example"]), "{meta}");
    let (_, one) = call(&server.base, "federation/show-instance", &admin, json!({ "host": peer_host })).await;
    assert_eq!((one["isBlocked"].clone(), one["isSilenced"].clone()), (json!(true), json!(false)), "{one}");
    let (_, blocked) = call(&server.base, "federation/instances", &admin, json!({ "blocked": true })).await;
    assert_eq!(blocked.as_array().map(Vec::len), Some(1), "{blocked}");

    // A bad host is refused and the stored list stays.
    for bad in [json!({ "blockedHosts": ["https://x.example/"] }), json!({ "silencedHosts": ["a b"] })] {
        let (s, r) = call(&server.base, "admin/update-meta", &admin, bad).await;
        assert_eq!((s, r["error"]["code"].as_str()), (400, Some("INVALID_PARAM")), "{r}");
    }
    assert_eq!(psql(db, "SELECT array_to_string(blocked_hosts, ',') FROM meta"), "127.0.0.1,bad.example");

    // Unblocked and silenced: accepted again, its public notes kept as home.
    let silence = json!({ "blockedHosts": [], "silencedHosts": ["127.0.0.1"] });
    assert_eq!(call(&server.base, "admin/update-meta", &admin, silence).await.0, 204);
    assert_eq!(post(&inbox, &host, &send(3), Some(&peer.signer), now, None).await, 202);
    drained().await;
    let visibility =
        |n: u32| psql(db, &format!("SELECT visibility FROM notes WHERE uri = '{}/notes/{n}'", peer.base));
    assert_eq!((visibility(1), visibility(2), visibility(3)), ("public".into(), "".into(), "home".into()));
    let (_, one) = call(&server.base, "federation/show-instance", &admin, json!({ "host": peer_host })).await;
    assert_eq!((one["isBlocked"].clone(), one["isSilenced"].clone()), (json!(false), json!(true)), "{one}");

    // Written by another process (here, straight into the database): arrives within seconds.
    psql(db, "UPDATE meta SET blocked_hosts = '{127.0.0.1}', silenced_hosts = '{}'");
    let t0 = Instant::now();
    while post(&inbox, &host, &send(4), Some(&peer.signer), now, None).await != 403 {
        assert!(t0.elapsed() < Duration::from_secs(10), "the stored block did not arrive");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let logged = psql(db, "SELECT count(*) FROM moderation_logs WHERE type = 'updateServerSettings'");
    assert_eq!(logged, "2", "each accepted change is logged");
    server.stop();
}

/// Web and worker processes apart: activities a web process accepted before their server was
/// blocked there are dropped by the worker (done, not dead), and an unblock made in the web
/// process reaches the worker.
#[tokio::test]
async fn a_block_reaches_the_worker_and_drops_what_was_queued() {
    let inst = Instance::init("fed_block_worker").without_rate_limits().federating();
    let web = Server::start(&inst.config, &["--role", "web"], inst.base());
    wait_status(&web, "/readyz", 200, Duration::from_secs(20)).await;
    let (_, r) =
        api(&web.base, "signin-flow", json!({ "username": "admin", "password": ADMIN_PASSWORD })).await;
    let admin = r["i"].as_str().expect("a token").to_string();
    let peer = peer().await;
    let inbox = format!("{}/inbox", web.base);
    let host = inst.host().replace("localhost", "127.0.0.1");
    let db = &inst.db.as_ref().unwrap().url;
    let now = chrono::Utc::now();
    let send = |n: u32| serde_json::to_vec(&create(&peer.base, &peer.base, n)).unwrap();
    assert_eq!(post(&inbox, &host, &send(1), Some(&peer.signer), now, None).await, 202);
    assert_eq!(psql(db, "SELECT count(*) FROM jobs WHERE queue = 'inbox'"), "1", "queued, no worker yet");
    let block = json!({ "blockedHosts": ["127.0.0.1"] });
    assert_eq!(call(&web.base, "admin/update-meta", &admin, block).await.0, 204);

    let worker = Server::start(&inst.config, &["--role", "worker"], inst.base());
    let t0 = Instant::now();
    while psql(db, "SELECT count(*) FROM jobs WHERE queue = 'inbox'") != "0" {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the queued activity is still there:\n{}",
            worker.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored =
        |n: u32| psql(db, &format!("SELECT count(*) FROM notes WHERE uri = '{}/notes/{n}'", peer.base));
    assert_eq!(stored(1), "0", "a blocked server's queued note is not stored");

    assert_eq!(call(&web.base, "admin/update-meta", &admin, json!({ "blockedHosts": [] })).await.0, 204);
    assert_eq!(post(&inbox, &host, &send(2), Some(&peer.signer), now, None).await, 202);
    let t0 = Instant::now();
    while stored(2) != "1" {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the worker did not take the unblock:\n{}",
            worker.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.stop();
    web.stop();
}
