//! Managed mode: `init --managed` creates a PostgreSQL cluster and a Redis configuration under
//! the data dir; `serve` runs both as children, restarts them when they die, and stops them
//! last on shutdown.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

fn pid_of(pattern: &str) -> Option<i32> {
    let out = std::process::Command::new("pgrep").args(["-f", pattern]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().next().and_then(|l| l.trim().parse().ok())
}

/// The API answers again (requests during the restart window get 503, never 500).
async fn wait_api_ok(server: &Server) {
    let t0 = std::time::Instant::now();
    loop {
        let (s, body) = api(&server.base, "meta", json!({})).await;
        match s {
            200 => return,
            503 => assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE"),
            other => panic!("unexpected {other}: {body}"),
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "API did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_new_pid(pattern: &str, old: i32) {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(p) = pid_of(pattern) {
            if p != old {
                return;
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "{pattern} was not restarted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn managed_children_are_started_restarted_and_stopped() {
    let dir = TempDir::new("managed");
    if let Some((u, g)) = common::procs::unprivileged() {
        std::os::unix::fs::chown(dir.path(), Some(u), Some(g)).unwrap();
    }
    let port = free_port();
    let pg_port = free_port().to_string();
    let redis_port = free_port().to_string();
    let config = dir.path().join("config.toml");
    let data = dir.path().join("data");
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["--config", config.to_str().unwrap()];
    let pg_set = format!("managed.postgres_port={pg_port}");
    let redis_set = format!("managed.redis_port={redis_port}");
    args.extend(["--set", &pg_set, "--set", &redis_set]);
    if common::procs::unprivileged().is_some() {
        args.extend(["--set", "managed.run_as=postgres"]);
    }
    let base_args = args.clone();
    args.extend([
        "init",
        "--yes",
        "--managed",
        "--domain",
        "localhost",
        "--tls",
        "off",
        "--listen",
        &listen,
        "--data-dir",
        data.to_str().unwrap(),
        "--admin-username",
        "admin",
        "--admin-password",
        "adminpass123",
    ]);
    let (ok, out, err) = run(&args);
    assert!(ok, "init --managed failed:\n{out}\n{err}");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("postgres = true") && text.contains("redis = true"), "{text}");
    assert!(data.join("postgres/PG_VERSION").exists());

    let extra: Vec<&str> = base_args[2..].to_vec();
    let server = Server::start(&config, &extra, format!("http://127.0.0.1:{port}"));
    wait_status(&server, "/readyz", 200, Duration::from_secs(30)).await;
    let (s, meta) = api(&server.base, "meta", json!({})).await;
    assert_eq!((s, meta["requireSetup"].as_bool()), (200, Some(false)));

    let pg_dir = data.join("postgres");
    let pg_pid = pid_of(&format!("postgres -D {}", pg_dir.display())).expect("managed postgres runs");
    unsafe { libc::kill(pg_pid, libc::SIGKILL) };
    // The restart is quick enough that /readyz may never see it down; wait for the new process.
    wait_new_pid(&format!("postgres -D {}", pg_dir.display()), pg_pid).await;
    wait_status(&server, "/readyz", 200, Duration::from_secs(30)).await;
    wait_api_ok(&server).await;

    let conf = data.join("redis/redis.conf");
    let redis_pid = pid_of(&format!("redis-server.*{redis_port}")).expect("managed redis runs");
    unsafe { libc::kill(redis_pid, libc::SIGKILL) };
    wait_new_pid(&format!("redis-server.*{redis_port}"), redis_pid).await;
    wait_status(&server, "/readyz", 200, Duration::from_secs(30)).await;
    assert!(conf.exists());
    assert_eq!(server.log_text().matches("exited; restarting").count(), 2);

    let status = server.stop();
    assert!(status.success());
    assert!(pid_of(&format!("postgres -D {}", pg_dir.display())).is_none(), "postgres stopped with serve");
    assert!(pid_of(&format!("redis-server.*{redis_port}")).is_none(), "redis stopped with serve");

    // Even when misskey-rs is killed outright, its children do not outlive it.
    let mut server = Server::start(&config, &extra, format!("http://127.0.0.1:{port}"));
    wait_status(&server, "/readyz", 200, Duration::from_secs(30)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let t0 = std::time::Instant::now();
    while pid_of(&format!("postgres -D {}", pg_dir.display())).is_some()
        || pid_of(&format!("redis-server.*{redis_port}")).is_some()
    {
        assert!(t0.elapsed() < Duration::from_secs(15), "managed children outlived a killed serve");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
