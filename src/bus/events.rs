//! The instance's event channel: what happened (a note stored, a reaction, a notification…),
//! published once through Redis so that every `serve` process hears it and tells its own
//! streaming connections. Publishing never waits on Redis: events go through a bounded queue to
//! one task that publishes them in order. Events are at-most-once: while Redis is away they are
//! dropped (and counted), never the work they tell of, which PostgreSQL already holds.

use super::Redis;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The Redis channel (without the instance prefix).
pub const CHANNEL: &str = "events";
/// Events waiting to be published; past this they are dropped.
const QUEUE: usize = 16_384;
/// Events published in one round trip at most.
const BATCH: usize = 256;

static SENDER: OnceLock<mpsc::Sender<String>> = OnceLock::new();
/// Events queued and not yet published (or dropped).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Starts the publishing task of this process. Later calls do nothing: one process, one queue.
pub fn install(redis: Redis) {
    let (tx, rx) = mpsc::channel(QUEUE);
    if SENDER.set(tx).is_ok() {
        tokio::spawn(publish_loop(redis, rx));
    }
}

/// Queues an event for publishing; a process that publishes none (the CLI) drops it.
pub fn publish(payload: String) {
    let Some(tx) = SENDER.get() else { return };
    IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    if tx.try_send(payload).is_err() {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        metrics::counter!("events_dropped_total").increment(1);
    }
}

/// Waits until every queued event is published (or given up), at most `limit`: a short-lived
/// process (the CLI) calls it before it exits.
pub async fn flush(limit: Duration) {
    let deadline = Instant::now() + limit;
    while IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn publish_loop(redis: Redis, mut rx: mpsc::Receiver<String>) {
    let channel = redis.key(CHANNEL);
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_warning: Option<Instant> = None;
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let sent = async {
            let mut conn = redis.pool.get().await?;
            let mut pipe = deadpool_redis::redis::pipe();
            for payload in &batch {
                pipe.cmd("PUBLISH").arg(&channel).arg(payload).ignore();
            }
            pipe.query_async::<()>(&mut conn).await?;
            anyhow::Ok(())
        };
        match tokio::time::timeout(Duration::from_secs(3), sent).await {
            Ok(Ok(())) => metrics::counter!("events_published_total").increment(batch.len() as u64),
            failed => {
                metrics::counter!("events_dropped_total").increment(batch.len() as u64);
                if last_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(30)) {
                    let error = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".into(),
                    };
                    tracing::warn!(%error, dropped = batch.len(), "events not published; streaming clients miss them");
                    last_warning = Some(Instant::now());
                }
            }
        }
        IN_FLIGHT.fetch_sub(batch.len(), Ordering::SeqCst);
        batch.clear();
    }
}
