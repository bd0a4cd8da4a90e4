//! The durable job queue against a real PostgreSQL: several workers share it without running a
//! job twice, failures back off and end dead, dead jobs come back on request, lanes bound
//! concurrency, a stopping worker gives back what it cannot finish, jobs of a worker that died
//! are taken back — and the server's own jobs (a poll's end) run through it.

mod common;
use common::*;
use misskey_rs::db::jobs::{self as q, NewJob};
use misskey_rs::db::DbPool;
use misskey_rs::domain::jobs::Queue;
use misskey_rs::jobs::{Failure, Handler, Spec};
use misskey_rs::supervise::Health;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

async fn fresh(tag: &str) -> (TestDb, Arc<DbPool>) {
    let db = TestDb::new(tag);
    misskey_rs::db::migrate::run(&db.url, |_, _, _| {}).await.unwrap();
    let cfg =
        misskey_rs::config::DatabaseConfig { url: db.url.clone(), pool_size: 8, acquire_timeout_secs: 5 };
    let pool = misskey_rs::db::build_pool(&cfg).unwrap();
    (db, pool)
}

fn healthy() -> Arc<Health> {
    let h = Health::default();
    h.set_postgres(true);
    h.set_migrated();
    Arc::new(h)
}

fn queue(name: &'static str, max_attempts: i32) -> Queue {
    Queue { name, max_attempts, backoff: Duration::from_millis(50), backoff_cap: Duration::from_millis(200) }
}

fn spec(queue: Queue, concurrency: usize, per_lane: usize) -> Spec {
    Spec { queue, concurrency, per_lane, timeout: Duration::from_secs(5) }
}

fn job(queue: &'static str, payload: Value, key: Option<String>, lane: Option<&str>) -> NewJob {
    NewJob {
        queue,
        payload,
        run_at: chrono::Utc::now(),
        max_attempts: 3,
        unique_key: key,
        lane: lane.map(str::to_string),
    }
}

fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Value) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), Failure>> + Send + 'static,
{
    Arc::new(move |v| Box::pin(f(v)))
}

struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

fn worker(pool: &Arc<DbPool>, specs: Vec<Spec>, h: Handler, grace: Duration) -> Worker {
    let (stop, rx) = watch::channel(false);
    let task = misskey_rs::jobs::start(pool.clone(), healthy(), specs, h, grace, rx);
    Worker { stop, task }
}

impl Worker {
    async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(30), self.task).await.expect("worker stops").unwrap();
    }
}

async fn counts(pool: &DbPool, queue: &str) -> q::QueueCounts {
    let mut conn = pool.get().await.unwrap();
    q::counts(&mut conn).await.unwrap().into_iter().find(|c| c.queue == queue).unwrap_or(q::QueueCounts {
        queue: queue.into(),
        waiting: 0,
        delayed: 0,
        active: 0,
        dead: 0,
        completed: 0,
        failed: 0,
        oldest_wait_secs: None,
    })
}

async fn until(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let t0 = Instant::now();
    while !check().await {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn workers_share_the_queue_and_run_each_job_once() {
    let (_db, pool) = fresh("jobs_share").await;
    let jobs: Vec<NewJob> =
        (0..3000).map(|i| job("t_share", json!({ "n": i }), Some(format!("share:{i}")), None)).collect();
    let mut conn = pool.get().await.unwrap();
    assert_eq!(q::insert(&mut conn, &jobs).await.unwrap(), 3000);
    assert_eq!(q::insert(&mut conn, &jobs[..100]).await.unwrap(), 0, "queued keys are not queued again");
    drop(conn);

    let runs: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
    let mut workers = vec![];
    for _ in 0..3 {
        // Each worker with a pool of its own, as separate processes would have.
        let cfg = misskey_rs::config::DatabaseConfig {
            url: _db.url.clone(),
            pool_size: 4,
            acquire_timeout_secs: 5,
        };
        let own = misskey_rs::db::build_pool(&cfg).unwrap();
        let runs = runs.clone();
        let h = handler(move |v: Value| {
            let runs = runs.clone();
            async move {
                *runs.lock().unwrap().entry(v["n"].as_i64().unwrap()).or_default() += 1;
                tokio::task::yield_now().await;
                Ok(())
            }
        });
        workers.push(worker(&own, vec![spec(queue("t_share", 3), 16, 16)], h, Duration::from_secs(5)));
    }
    until("every job to finish", Duration::from_secs(60), async || {
        counts(&pool, "t_share").await.completed == 3000
    })
    .await;
    for w in workers {
        w.stop().await;
    }
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 3000);
    assert!(runs.values().all(|n| *n == 1), "a job ran twice");
    let c = counts(&pool, "t_share").await;
    assert_eq!((c.waiting, c.active, c.dead, c.failed), (0, 0, 0, 0));
    let mut conn = pool.get().await.unwrap();
    assert_eq!(q::insert(&mut conn, &jobs[..10]).await.unwrap(), 10, "a finished job's key is free again");
}

#[tokio::test]
async fn failures_back_off_end_dead_and_come_back_on_request() {
    let (_db, pool) = fresh("jobs_fail").await;
    let mut conn = pool.get().await.unwrap();
    let jobs = vec![
        job("t_fail", json!({ "kind": "good" }), None, None),
        job("t_fail", json!({ "kind": "flaky" }), None, None),
        job("t_fail", json!({ "kind": "bad" }), None, None),
        job("t_fail", json!({ "kind": "never" }), None, None),
        job("t_fail", json!({ "kind": "panics" }), None, None),
    ];
    q::insert(&mut conn, &jobs).await.unwrap();
    drop(conn);
    let healed = Arc::new(AtomicBool::new(false));
    let flaky = Arc::new(AtomicUsize::new(0));
    let times: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let h = {
        let (healed, flaky, times) = (healed.clone(), flaky.clone(), times.clone());
        handler(move |v: Value| {
            let (healed, flaky, times) = (healed.clone(), flaky.clone(), times.clone());
            async move {
                let kind = v["kind"].as_str().unwrap_or_default().to_string();
                if healed.load(Ordering::SeqCst) {
                    return Ok(());
                }
                match kind.as_str() {
                    "good" => Ok(()),
                    "flaky" if flaky.fetch_add(1, Ordering::SeqCst) < 1 => {
                        Err(Failure::Retry("not yet".into()))
                    }
                    "flaky" => Ok(()),
                    "bad" => {
                        times.lock().unwrap().push(Instant::now());
                        Err(Failure::Retry("host unreachable".into()))
                    }
                    "never" => Err(Failure::Permanent("malformed".into())),
                    _ => panic!("a handler bug"),
                }
            }
        })
    };
    let w = worker(&pool, vec![spec(queue("t_fail", 3), 8, 8)], h, Duration::from_secs(5));
    until("two jobs done and three dead", Duration::from_secs(30), async || {
        let c = counts(&pool, "t_fail").await;
        c.completed == 2 && c.dead == 3
    })
    .await;
    let mut conn = pool.get().await.unwrap();
    let dead = q::list(&mut conn, Some("t_fail"), &[q::Listed::Dead], 10).await.unwrap();
    let by_kind: HashMap<String, &q::JobRow> =
        dead.iter().map(|j| (j.payload["kind"].as_str().unwrap().to_string(), j)).collect();
    assert_eq!(by_kind["bad"].attempts, 3, "retried up to its attempts");
    assert_eq!(by_kind["bad"].last_error.as_deref(), Some("host unreachable"));
    assert_eq!(by_kind["never"].attempts, 1, "a permanent failure is not retried");
    assert_eq!(by_kind["panics"].attempts, 3, "a panic fails the job, not the worker");
    assert!(by_kind["panics"].last_error.as_deref().unwrap().contains("panicked"));
    let t = times.lock().unwrap().clone();
    assert!(t[1] - t[0] >= Duration::from_millis(35), "backoff between attempts: {:?}", t[1] - t[0]);
    assert!(t[2] - t[1] >= Duration::from_millis(70), "the second backoff is longer: {:?}", t[2] - t[1]);
    assert_eq!(counts(&pool, "t_fail").await.failed, 3);

    // Retried after the cause is fixed, they finish.
    healed.store(true, Ordering::SeqCst);
    assert_eq!(q::retry_dead(&mut conn, Some(by_kind["never"].id), None).await.unwrap(), 1);
    assert_eq!(q::retry_dead(&mut conn, None, Some("t_fail")).await.unwrap(), 2);
    drop(conn);
    q::wake();
    until("the retried jobs to finish", Duration::from_secs(30), async || {
        let c = counts(&pool, "t_fail").await;
        c.completed == 5 && c.dead == 0 && c.waiting == 0
    })
    .await;
    w.stop().await;
}

#[tokio::test]
async fn lanes_bound_concurrency_and_a_postponed_lane_waits() {
    let (_db, pool) = fresh("jobs_lanes").await;
    let mut conn = pool.get().await.unwrap();
    let mut jobs = vec![];
    for lane in ["a.example", "b.example", "down.example"] {
        for i in 0..30 {
            jobs.push(job("t_lanes", json!({ "lane": lane, "i": i }), None, Some(lane)));
        }
    }
    q::insert(&mut conn, &jobs).await.unwrap();
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_eq!(q::postpone_lane(&mut conn, "down.example", later).await.unwrap(), 30);
    assert_eq!(q::lanes(&mut conn, "t_lanes", 10).await.unwrap().len(), 3);
    drop(conn);
    let now: Arc<Mutex<HashMap<String, (usize, usize)>>> = Arc::default();
    let h = {
        let now = now.clone();
        handler(move |v: Value| {
            let now = now.clone();
            async move {
                let lane = v["lane"].as_str().unwrap().to_string();
                {
                    let mut m = now.lock().unwrap();
                    let e = m.entry(lane.clone()).or_default();
                    e.0 += 1;
                    e.1 = e.1.max(e.0);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                now.lock().unwrap().get_mut(&lane).unwrap().0 -= 1;
                Ok(())
            }
        })
    };
    let w = worker(&pool, vec![spec(queue("t_lanes", 3), 16, 3)], h, Duration::from_secs(5));
    until("the two live lanes to finish", Duration::from_secs(30), async || {
        counts(&pool, "t_lanes").await.completed == 60
    })
    .await;
    w.stop().await;
    let m = now.lock().unwrap().clone();
    assert!(m["a.example"].1 <= 3 && m["b.example"].1 <= 3, "at most 3 per lane at once: {m:?}");
    assert!(m["a.example"].1 >= 2, "a lane's jobs do run side by side: {m:?}");
    assert!(!m.contains_key("down.example"), "the postponed lane cost nothing");
    let c = counts(&pool, "t_lanes").await;
    assert_eq!((c.delayed, c.waiting), (30, 0));
}

#[tokio::test]
async fn stopping_gives_back_unfinished_jobs_and_a_dead_workers_jobs_are_taken_back() {
    let (_db, pool) = fresh("jobs_stop").await;
    let mut conn = pool.get().await.unwrap();
    q::insert(&mut conn, &[job("t_stop", json!({ "slow": true }), Some("slow".into()), None)]).await.unwrap();
    drop(conn);
    let started = Arc::new(AtomicUsize::new(0));
    let h = {
        let started = started.clone();
        handler(move |_| {
            let started = started.clone();
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(600)).await;
                Ok(())
            }
        })
    };
    let w = worker(&pool, vec![spec(queue("t_stop", 3), 4, 4)], h, Duration::from_millis(300));
    until("the slow job to start", Duration::from_secs(10), async || started.load(Ordering::SeqCst) == 1)
        .await;
    w.stop().await;
    let mut conn = pool.get().await.unwrap();
    let j = q::list(&mut conn, Some("t_stop"), &[q::Listed::Waiting], 10).await.unwrap();
    assert_eq!(j.len(), 1, "the unfinished job is waiting again");
    assert_eq!(j[0].attempts, 0, "an interrupted run is no attempt");

    // A worker that dies holding jobs (claimed with a short lease, never finished).
    let claimed = q::claim(&mut conn, "t_stop", "crashed", 10, 1, 4, &[], &[]).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(counts(&pool, "t_stop").await.active, 1);
    drop(conn);
    let done = Arc::new(AtomicUsize::new(0));
    let h = {
        let done = done.clone();
        handler(move |_| {
            let done = done.clone();
            async move {
                done.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
    };
    let w = worker(&pool, vec![spec(queue("t_stop", 3), 4, 4)], h, Duration::from_secs(1));
    until("the dead worker's job to run", Duration::from_secs(20), async || {
        counts(&pool, "t_stop").await.completed == 1
    })
    .await;
    w.stop().await;
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_poll_ends_through_the_queue_and_admins_see_the_queue() {
    let inst = Instance::init("jobs_poll").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (_, voter) = user(b, &admin, "voter").await;
    let (s, r) = call(
        b,
        "notes/create",
        &admin,
        json!({ "text": "which?", "poll": { "choices": ["a", "b"], "expiredAfter": 1500 } }),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let note = r["createdNote"]["id"].as_str().unwrap().to_string();
    let (s, r) = call(b, "notes/polls/vote", &voter, json!({ "noteId": note, "choice": 1 })).await;
    assert_eq!(s, 204, "{r}");
    let (s, stats) = call(b, "admin/queue/stats", &admin, json!({})).await;
    assert_eq!(s, 200, "{stats}");
    assert_eq!(
        stats["deliver"],
        json!({ "waiting": 0, "active": 0, "completed": 0, "failed": 0, "delayed": 0 })
    );
    let (s, jobs) = call(
        b,
        "admin/queue/jobs",
        &admin,
        json!({ "queue": "endedPollNotification", "state": ["delayed"] }),
    )
    .await;
    assert_eq!(s, 200, "{jobs}");
    assert_eq!(jobs[0]["data"], json!({ "type": "pollEnd", "noteId": note }), "{jobs}");
    let (s, r) = call(b, "admin/queue/stats", &voter, json!({})).await;
    assert_eq!((s, r["error"]["code"].as_str()), (403, Some("ROLE_PERMISSION_DENIED")), "{r}");

    let t0 = Instant::now();
    until("the voter's pollEnded notification", Duration::from_secs(15), async || {
        let (_, list) = call(b, "i/notifications", &voter, json!({})).await;
        list.as_array().is_some_and(|l| l.iter().any(|n| n["type"] == "pollEnded" && n["note"]["id"] == note))
    })
    .await;
    assert!(t0.elapsed() < Duration::from_secs(5), "the poll ended on time: {:?}", t0.elapsed());
    let (_, jobs) = call(
        b,
        "admin/queue/jobs",
        &admin,
        json!({ "queue": "endedPollNotification", "state": ["delayed", "wait", "active", "failed"] }),
    )
    .await;
    assert_eq!(jobs, json!([]), "the finished job is gone");

    let (ok, out, err) = inst.cli(&["admin", "jobs", "stats"]);
    let line = out.lines().find(|l| l.starts_with("endedPollNotification")).unwrap_or_default().to_string();
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert!(ok && cols[1..7] == ["0", "0", "0", "0", "1", "0"], "{out}{err}");
    let (ok, out, err) = inst.cli(&["admin", "jobs", "list-dead"]);
    assert!(ok && out.contains("no dead jobs"), "{out}{err}");
    let (ok, _, err) = inst.cli(&["admin", "jobs", "retry"]);
    assert!(!ok && err.contains("--id N"), "{err}");
    let (s, r) = call(
        b,
        "admin/queue/retry-job",
        &admin,
        json!({ "queue": "endedPollNotification", "jobId": "nope" }),
    )
    .await;
    assert_eq!((s, r["error"]["code"].as_str()), (400, Some("NO_SUCH_JOB")), "{r}");
    server.stop();
}
