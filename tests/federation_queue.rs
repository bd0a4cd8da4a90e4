//! Deliveries survive what happens to the sender and the receiver: a remote follower's server
//! (a sink served here, counting activities by id) goes down for a while, the sender's
//! PostgreSQL restarts while deliveries are under way, and the sending server is killed with
//! SIGKILL and started again. Every Create arrives in the end, each with its one activity id,
//! exactly once but for deliveries cut off by the kill (those may arrive twice, as the same
//! activity, which receivers drop by id), and nothing is left dead.

mod common;
use actix_web::{web, App, HttpResponse, HttpServer};
use common::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Sink {
    down: AtomicBool,
    delay_ms: AtomicU64,
    /// Requests begun (answered or not).
    begun: AtomicU64,
    seen: Mutex<HashMap<String, usize>>,
}

impl Sink {
    fn creates(&self) -> HashMap<String, usize> {
        self.seen.lock().unwrap().clone()
    }
}

async fn sink(port: u16) -> Arc<Sink> {
    let state = Arc::new(Sink::default());
    let data = web::Data::from(state.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).default_service(web::to(
            |sink: web::Data<Sink>, body: web::Bytes| async move {
                sink.begun.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(sink.delay_ms.load(Ordering::SeqCst))).await;
                if sink.down.load(Ordering::SeqCst) {
                    return HttpResponse::ServiceUnavailable().finish();
                }
                let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                if v["type"] == "Create" {
                    *sink
                        .seen
                        .lock()
                        .unwrap()
                        .entry(v["id"].as_str().unwrap_or_default().to_string())
                        .or_default() += 1;
                }
                HttpResponse::Accepted().finish()
            },
        ))
    })
    .workers(2)
    .bind(("127.0.0.1", port))
    .unwrap()
    .run();
    tokio::spawn(server);
    state
}

async fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !check() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn deliveries_survive_a_peer_outage_and_a_killed_sender() {
    let mut pg = common::procs::OwnPostgres::new();
    let db = pg.url("misskey");
    let inst = Instance::init_with("fed_queue", &db, &redis_url(), &[]).without_rate_limits().federating();
    let mut text = std::fs::read_to_string(&inst.config).unwrap();
    text.push_str("[jobs]\nbackoff_scale = 0.01\n");
    std::fs::write(&inst.config, text).unwrap();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.clone();
    let (alice_id, alice) = user(&b, &admin, "alice").await;
    let port = free_port();
    let sink = sink(port).await;
    // A remote follower of alice whose server is the sink.
    let db = db.as_str();
    psql(
        db,
        &format!(
            "INSERT INTO users (id, created_at, username, username_lower, host, uri, inbox, shared_inbox) VALUES \
             ('sinkf1', now(), 'f1', 'f1', '127.0.0.1:{port}', 'http://127.0.0.1:{port}/users/f1', \
              'http://127.0.0.1:{port}/users/f1/inbox', 'http://127.0.0.1:{port}/inbox'); \
             INSERT INTO following (id, created_at, follower_id, followee_id, follower_host) VALUES \
             ('sinkfl1', now(), 'sinkf1', '{alice_id}', '127.0.0.1:{port}')"
        ),
    );
    let post = |n: usize| {
        let (b, alice) = (b.clone(), alice.clone());
        async move {
            let (s, r) = call(&b, "notes/create", &alice, json!({ "text": format!("note {n}") })).await;
            assert_eq!(s, 200, "{r}");
        }
    };

    for n in 0..10 {
        post(n).await;
    }
    wait_for("the first 10 notes at the peer", Duration::from_secs(20), || sink.creates().len() == 10).await;

    // The peer is down for a while: deliveries fail, back off, the host rests; then it is back.
    sink.down.store(true, Ordering::SeqCst);
    for n in 10..20 {
        post(n).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let resting = psql(db, &format!("SELECT rests > 0 FROM instances WHERE host = '127.0.0.1:{port}'"));
    assert_eq!(resting, "t", "the failing host rests");
    sink.down.store(false, Ordering::SeqCst);
    wait_for("the notes posted while the peer was down", Duration::from_secs(60), || {
        sink.creates().len() == 20
    })
    .await;

    // PostgreSQL restarts while deliveries are under way: what was sent is not sent again,
    // what was not is sent once it is back.
    sink.delay_ms.store(300, Ordering::SeqCst);
    for n in 20..30 {
        post(n).await;
    }
    let begun = sink.begun.load(Ordering::SeqCst);
    wait_for("deliveries under way", Duration::from_secs(20), || sink.begun.load(Ordering::SeqCst) > begun)
        .await;
    pg.stop();
    tokio::time::sleep(Duration::from_secs(2)).await;
    pg.start();
    wait_status(&server, "/readyz", 200, Duration::from_secs(30)).await;
    sink.delay_ms.store(0, Ordering::SeqCst);
    wait_for("the notes posted before PostgreSQL restarted", Duration::from_secs(150), || {
        sink.creates().len() == 30
    })
    .await;
    let seen = sink.creates();
    assert!(seen.values().all(|n| *n == 1), "a PostgreSQL restart repeats no delivery: {seen:?}");

    // The sender is killed while deliveries are under way, then started again.
    sink.delay_ms.store(400, Ordering::SeqCst);
    for n in 30..40 {
        post(n).await;
    }
    let begun = sink.begun.load(Ordering::SeqCst);
    wait_for("deliveries under way", Duration::from_secs(20), || sink.begun.load(Ordering::SeqCst) > begun)
        .await;
    let mut server = server;
    unsafe { libc::kill(server.child.id() as i32, libc::SIGKILL) };
    let _ = server.child.wait();
    sink.delay_ms.store(0, Ordering::SeqCst);
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    // Jobs the killed worker held come back when their lease runs out (a minute for deliveries).
    wait_for("every note after the restart", Duration::from_secs(150), || sink.creates().len() == 40).await;

    // …and the queue empties: the killed worker's leased deliveries were taken back and sent.
    let t0 = Instant::now();
    while psql(db, "SELECT count(*) FROM jobs WHERE queue IN ('deliver', 'db')") != "0" {
        assert!(t0.elapsed() < Duration::from_secs(150), "deliveries left in the queue");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seen = sink.creates();
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 10, "only deliveries cut off by the kill may repeat: {twice:?}");
    assert!(seen.values().all(|n| *n <= 2), "{seen:?}");
    let dead = psql(db, "SELECT count(*) FROM jobs WHERE state = 'dead'");
    assert_eq!(dead, "0");
    server.stop();
}
