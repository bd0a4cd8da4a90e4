//! Job queue benchmark (bench/jobs.sh runs it): enqueues JOBS jobs spread over LANES lanes
//! (remote hosts) into a scratch database, then runs WORKERS runners — each with a pool of its
//! own, as separate processes would have — whose handler waits WORK_MS (a network round trip)
//! and succeeds. Reports the enqueue rate, jobs finished per second, the time from enqueueing
//! to finishing (percentiles) and this process's peak RSS. With `--down`, one lane's jobs hang
//! until the handler's timeout and fail: the other lanes must keep their pace.
//!
//! Usage: jobs_bench DB_URL JOBS LANES WORKERS CONCURRENCY WORK_MS [--down]

use misskey_rs::db::jobs::{self as q, NewJob};
use misskey_rs::domain::jobs::Queue;
use misskey_rs::jobs::{Failure, Handler, Spec};
use misskey_rs::supervise::Health;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(((p / 100.0) * (sorted.len() - 1) as f64).round() as usize).min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 7 {
        eprintln!("usage: jobs_bench DB_URL JOBS LANES WORKERS CONCURRENCY WORK_MS [--down]");
        std::process::exit(2);
    }
    let url = a[1].clone();
    let n: usize = a[2].parse().expect("JOBS");
    let lanes: usize = a[3].parse().expect("LANES");
    let workers: usize = a[4].parse().expect("WORKERS");
    let concurrency: usize = a[5].parse().expect("CONCURRENCY");
    let work = Duration::from_millis(a[6].parse().expect("WORK_MS"));
    let down = a.get(7).is_some_and(|s| s == "--down");
    rustls::crypto::ring::default_provider().install_default().ok();
    misskey_rs::db::migrate::run(&url, |_, _, _| {}).await.expect("migrations");
    let cfg = misskey_rs::config::DatabaseConfig { url: url.clone(), pool_size: 4, acquire_timeout_secs: 10 };
    let pool = misskey_rs::db::build_pool(&cfg).expect("pool");

    let t0 = Instant::now();
    let now = chrono::Utc::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        let jobs: Vec<NewJob> = chunk
            .iter()
            .map(|i| NewJob {
                queue: "bench",
                payload: serde_json::json!({ "i": i, "lane": i % lanes }),
                run_at: now,
                max_attempts: 3,
                unique_key: Some(format!("bench:{i}")),
                lane: Some(format!("host{}.example", i % lanes)),
            })
            .collect();
        let mut conn = pool.get().await.expect("connection");
        q::insert(&mut conn, &jobs).await.expect("enqueue");
    }
    let enq = t0.elapsed();
    println!(
        "enqueued {n} jobs on {lanes} lanes in {:.2} s ({:.0} jobs/s)",
        enq.as_secs_f64(),
        n as f64 / enq.as_secs_f64()
    );

    let done: Arc<Mutex<Vec<(usize, f64)>>> = Arc::default();
    let started = Instant::now();
    let timeout = Duration::from_secs(5);
    let queue = Queue {
        name: "bench",
        max_attempts: 3,
        backoff: Duration::from_secs(60),
        backoff_cap: Duration::from_secs(60),
    };
    let spec = Spec { queue, concurrency, per_lane: 4, timeout };
    let mut stops = vec![];
    for _ in 0..workers {
        let own =
            misskey_rs::db::build_pool(&misskey_rs::config::DatabaseConfig { pool_size: 4, ..cfg.clone() })
                .expect("pool");
        let h = Health::default();
        h.set_postgres(true);
        h.set_migrated();
        let done = done.clone();
        let handler: Handler = Arc::new(move |v| {
            let done = done.clone();
            Box::pin(async move {
                let lane = v["lane"].as_u64().unwrap_or(0) as usize;
                if down && lane == 0 {
                    tokio::time::sleep(timeout * 2).await;
                    return Err(Failure::Retry("host down".into()));
                }
                tokio::time::sleep(work).await;
                done.lock().unwrap().push((lane, started.elapsed().as_secs_f64()));
                Ok(())
            })
        });
        let (tx, rx) = tokio::sync::watch::channel(false);
        let task = misskey_rs::jobs::start(own, Arc::new(h), vec![spec], handler, Duration::from_secs(1), rx);
        stops.push((tx, task));
    }
    let expected = if down { n - n.div_ceil(lanes) } else { n };
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if done.lock().unwrap().len() >= expected {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            eprintln!("gave up after 30 minutes");
            break;
        }
    }
    let took = started.elapsed();
    for (tx, task) in stops {
        let _ = tx.send(true);
        let _ = task.await;
    }
    let mut at: Vec<f64> = done.lock().unwrap().iter().map(|d| d.1 * 1000.0).collect();
    at.sort_by(|a, b| a.total_cmp(b));
    println!(
        "ran {} jobs with {workers} worker(s) x {concurrency} at {} ms each{}: {:.2} s, {:.0} jobs/s",
        at.len(),
        work.as_millis(),
        if down { " (lane 0 hanging until its timeout)" } else { "" },
        took.as_secs_f64(),
        at.len() as f64 / took.as_secs_f64()
    );
    println!(
        "finished after (ms since start): p50 {:.0}  p90 {:.0}  p99 {:.0}  last {:.0}",
        pct(&at, 50.0),
        pct(&at, 90.0),
        pct(&at, 99.0),
        at.last().copied().unwrap_or(f64::NAN)
    );
    println!("peak RSS of the benchmark process (all workers): {} KiB", peak_rss_kib());
}
