//! Supervision: the server keeps running while PostgreSQL or Redis is stopped, reports it on
//! /readyz and in Misskey's error format, and recovers by itself when the dependency returns.

mod common;
use common::procs::{OwnPostgres, OwnRedis};
use common::*;
use serde_json::json;
use std::time::Duration;

const BACK_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn survives_postgres_and_redis_restarts_without_a_restart() {
    let mut pg = OwnPostgres::new();
    let mut redis = OwnRedis::new();
    let inst = Instance::init_with("restart", &pg.url("misskey"), &redis.url(), &[]);
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let pid = server.child.id();

    pg.stop();
    wait_status(&server, "/readyz", 503, Duration::from_secs(5)).await;
    let (_, body) = get(&server.base, "/readyz").await;
    assert!(body.contains("postgres unreachable"), "{body}");
    let (s, e) = api(&server.base, "meta", json!({})).await;
    assert_eq!(s, 503);
    assert_eq!(e["error"]["kind"], "server");
    assert_eq!(e["error"]["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(get(&server.base, "/livez").await.0, 200, "still alive");
    pg.start();
    let took = wait_status(&server, "/readyz", 200, BACK_WITHIN).await;
    eprintln!("postgres: ready again {took:?} after it accepted queries");
    assert_eq!(api(&server.base, "meta", json!({})).await.0, 200);

    redis.stop();
    wait_status(&server, "/readyz", 503, Duration::from_secs(5)).await;
    let (_, body) = get(&server.base, "/readyz").await;
    assert!(body.contains("redis unreachable"), "{body}");
    redis.start();
    let took = wait_status(&server, "/readyz", 200, BACK_WITHIN).await;
    eprintln!("redis: ready again {took:?} after it started");
    assert_eq!(api(&server.base, "meta", json!({})).await.0, 200);

    assert_eq!(server.child.id(), pid, "no restart of misskey-rs");
    let log = server.log_text();
    assert_eq!(log.matches("postgres is unreachable").count(), 1, "state changes are logged once:\n{log}");
}

#[tokio::test]
async fn starts_while_postgres_is_down_and_migrates_when_it_comes_up() {
    let mut pg = OwnPostgres::new();
    let redis = OwnRedis::new();
    pg.stop();
    let dir = TempDir::new("late");
    let port = free_port();
    let config = write_config(dir.path(), port, &pg.url("misskey"), &redis.url());
    let server = Server::start(&config, &[], format!("http://127.0.0.1:{port}"));
    wait_status(&server, "/livez", 200, Duration::from_secs(10)).await;
    let (s, body) = get(&server.base, "/readyz").await;
    assert_eq!(s, 503, "{body}");
    assert_eq!(api(&server.base, "meta", json!({})).await.0, 503);
    pg.start();
    wait_status(&server, "/readyz", 200, BACK_WITHIN).await;
    let (s, meta) = api(&server.base, "meta", json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(meta["requireSetup"], true);
}

#[tokio::test]
async fn pubsub_resubscribes_after_a_redis_restart() {
    let mut redis = OwnRedis::new();
    let cfg: misskey_rs::config::Config =
        toml::from_str(&format!("url = \"https://ps.example\"\n[redis]\nurl = \"{}\"\n", redis.url()))
            .unwrap();
    let bus = misskey_rs::bus::Redis::new(&cfg).unwrap();
    let mut ps = misskey_rs::bus::pubsub::PubSub::connect(&cfg.redis.url, &cfg.redis_prefix()).await.unwrap();
    ps.subscribe("timeline").await.unwrap();
    let mut rx = ps.receiver();
    bus.publish("timeline", "one").await.unwrap();
    let m = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!((m.channel.as_str(), m.payload.as_str()), ("timeline", "one"));

    redis.stop();
    redis.start();
    // Publish until the resubscribed connection receives again (at-most-once meanwhile).
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let _ = bus.publish("timeline", "two").await;
            if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                if m.payload == "two" {
                    return m;
                }
            }
        }
    })
    .await
    .expect("messages flow again after the restart");
    assert_eq!(got.channel, "timeline");
}
