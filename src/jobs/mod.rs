//! Background work of `serve --role all|worker`: the runner of the durable job queue
//! (`db::jobs`, `domain::jobs`). Any number of processes share the queue: each takes due jobs
//! with `FOR UPDATE SKIP LOCKED` under a lease, runs them with bounded concurrency per queue
//! and per lane (a remote host), deletes them when they succeed, retries them with backoff
//! and jitter when they fail and keeps them as dead when their attempts are spent. A worker
//! that dies leaves leased jobs that the others take back when the lease runs out; a worker
//! that stops finishes what it runs (for a while) and gives the rest back untouched.
//!
//! Every handler is safe to run twice: it does its writes in one transaction and checks what is
//! already done, because a job that succeeded may still run again when its worker dies before
//! recording the success.

mod handlers;

use crate::db::jobs::{self as rows, Claimed};
use crate::db::DbPool;
use crate::domain::jobs::{Job, Queue, DELIVER, FEDERATE, INBOX, POLLS, SYSTEM};
use crate::supervise::Health;
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How often an idle worker looks for due jobs (enqueueing in this process wakes it at once).
const IDLE: Duration = Duration::from_millis(500);
/// How often expired leases are taken back and recurring jobs looked at.
const UPKEEP: Duration = Duration::from_secs(5);
/// How long a stopping worker lets running jobs finish before giving them back (systemd's
/// stop timeout of the unit leaves room for it).
pub const GRACE: Duration = Duration::from_secs(20);
/// Most jobs taken in one statement.
const BATCH: usize = 64;

/// How one queue is run here.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub queue: Queue,
    /// Jobs of this queue running at once in one process.
    pub concurrency: usize,
    /// Jobs of one lane running at once in one process.
    pub per_lane: usize,
    /// A run that takes longer fails (and is retried).
    pub timeout: Duration,
}

impl Spec {
    /// The lease: a job whose worker is silent this long is taken back.
    fn lease(&self) -> Duration {
        self.timeout + self.timeout.min(Duration::from_secs(60))
    }
}

/// This server's queues; `scale` multiplies their retry delays (`jobs.backoff_scale`).
pub fn specs(scale: f64) -> Vec<Spec> {
    let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
    let mut specs = vec![
        // Deliveries hold a database connection only around their request; inbox jobs only
        // around each of their statements (a note waits for the note writer without one), so
        // many run at once and the writer stores their notes in shared batches.
        Spec { queue: DELIVER, concurrency: 64, per_lane: 8, timeout: Duration::from_secs(30) },
        Spec { queue: INBOX, concurrency: 64, per_lane: 64, timeout: Duration::from_secs(60) },
        Spec { queue: FEDERATE, concurrency: 4, per_lane: 4, timeout: Duration::from_secs(60) },
        Spec { queue: POLLS, concurrency: 4, per_lane: 4, timeout: Duration::from_secs(60) },
        Spec { queue: SYSTEM, concurrency: 2, per_lane: 2, timeout: Duration::from_secs(600) },
    ];
    for s in &mut specs {
        s.queue.backoff = s.queue.backoff.mul_f64(scale);
        s.queue.backoff_cap = s.queue.backoff_cap.mul_f64(scale);
    }
    specs
}

/// Why a run failed.
#[derive(Debug)]
pub enum Failure {
    /// Worth trying again after the queue's backoff.
    Retry(String),
    /// Worth trying again, not before this long.
    RetryAfter(Duration, String),
    /// Will never succeed: the job is dead at once.
    Permanent(String),
}

impl From<crate::domain::Error> for Failure {
    fn from(e: crate::domain::Error) -> Self {
        use crate::domain::Error;
        match e {
            Error::Refused(_) | Error::Invalid { .. } => Failure::Permanent(e.to_string()),
            Error::Unavailable(_) | Error::Internal(_) => Failure::Retry(e.to_string()),
        }
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        Failure::from(crate::domain::Error::from(e))
    }
}

/// Runs one job from its stored payload.
pub type Handler = Arc<dyn Fn(Value) -> BoxFuture<'static, Result<(), Failure>> + Send + Sync>;

/// Runs this server's queues until `stop` turns true, then finishes or gives back what it runs.
pub fn spawn(fed: Arc<crate::ap::Federation>, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let (db, health) = (fed.state.db.clone(), fed.state.health.clone());
    let scale = fed.state.config.jobs.backoff_scale;
    let handler: Handler = Arc::new(move |payload| {
        let fed = fed.clone();
        Box::pin(async move {
            let job = serde_json::from_value::<Job>(payload)
                .map_err(|e| Failure::Permanent(format!("unreadable payload: {e}")))?;
            handlers::run(&fed, job).await
        })
    });
    start(db, health, specs(scale), handler, GRACE, stop)
}

/// Runs the queues of `specs` with `handler` (the server's, or a test's).
pub fn start(
    db: Arc<DbPool>,
    health: Arc<Health>,
    specs: Vec<Spec>,
    handler: Handler,
    grace: Duration,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(Runner::new(db, health, specs, handler).run(stop, grace))
}

/// The fewest free slots worth a take while a backlog waits: one while a queue is nearly idle,
/// a quarter of its slots while it is busy, so a busy queue takes its jobs in groups instead of
/// one statement for every job that finishes.
fn least_take(concurrency: usize, running: usize) -> usize {
    if running <= concurrency / 4 {
        1
    } else {
        (concurrency / 4).clamp(1, BATCH)
    }
}

struct Finished {
    id: i64,
    spec: Spec,
    lane: Option<String>,
    attempts: i32,
    max_attempts: i32,
    result: Result<(), Failure>,
}

struct Runner {
    db: Arc<DbPool>,
    health: Arc<Health>,
    handler: Handler,
    worker: String,
    specs: Vec<Spec>,
    running: HashMap<&'static str, usize>,
    lanes: HashMap<String, usize>,
    tasks: JoinSet<Finished>,
    /// Which job each task runs, for the tasks that panic or are given back.
    by_task: HashMap<tokio::task::Id, (i64, Spec, Option<String>, i32, i32)>,
    /// Succeeded, not yet recorded.
    done: Vec<i64>,
    /// Queues found empty, not to be asked again before the instant.
    drained: HashMap<&'static str, Instant>,
    /// Queues whose last take was full: more jobs wait, so they are taken in groups.
    backlog: std::collections::HashSet<&'static str>,
    last_upkeep: Option<Instant>,
}

impl Runner {
    fn new(db: Arc<DbPool>, health: Arc<Health>, specs: Vec<Spec>, handler: Handler) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let worker =
            format!("{}:{}:{}", host.trim(), std::process::id(), crate::domain::keys::random_token(4));
        Runner {
            db,
            health,
            handler,
            worker,
            specs,
            running: HashMap::new(),
            lanes: HashMap::new(),
            tasks: JoinSet::new(),
            by_task: HashMap::new(),
            done: Vec::new(),
            drained: HashMap::new(),
            backlog: std::collections::HashSet::new(),
            last_upkeep: None,
        }
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>, grace: Duration) {
        tracing::info!(worker = %self.worker, "job worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            if self.health.postgres_up() && self.health.is_migrated() {
                self.upkeep().await;
                self.fill().await;
            }
            self.record().await;
            tokio::select! {
                Some(r) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => {
                    self.finished(r).await;
                    while let Some(r) = self.tasks.try_join_next_with_id() {
                        self.finished(r).await;
                    }
                }
                _ = rows::woken() => self.drained.clear(),
                _ = tokio::time::sleep(IDLE) => {}
                _ = stop.changed() => {}
            }
        }
        self.shut_down(grace).await;
    }

    /// Takes back expired leases and enqueues recurring jobs that are due.
    async fn upkeep(&mut self) {
        if self.last_upkeep.is_some_and(|t| t.elapsed() < UPKEEP) {
            return;
        }
        self.last_upkeep = Some(Instant::now());
        let Ok(mut conn) = self.db.get().await else { return };
        match rows::reap(&mut conn).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "took back jobs whose worker stopped answering"),
            Err(e) => tracing::warn!(error = %e, "taking back expired jobs failed"),
        }
        let schedules = crate::domain::jobs::schedules();
        let periods: Vec<(&str, i64)> =
            schedules.iter().map(|(name, every, _)| (*name, every.as_secs() as i64)).collect();
        match rows::due_schedules(&mut conn, &periods).await {
            Ok(due) => {
                let now = chrono::Utc::now();
                let jobs: Vec<(Job, _)> = schedules
                    .into_iter()
                    .filter(|(name, _, _)| due.iter().any(|d| d == name))
                    .map(|(_, _, job)| (job, now))
                    .collect();
                if let Err(e) = crate::domain::jobs::enqueue(&mut conn, &jobs).await {
                    tracing::warn!(error = %e, "enqueueing recurring jobs failed");
                }
                if !jobs.is_empty() {
                    self.drained.clear();
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading job schedules failed"),
        }
    }

    /// Takes as many due jobs as there are free slots, queue by queue.
    async fn fill(&mut self) {
        let now = Instant::now();
        for spec in self.specs.clone() {
            let name = spec.queue.name;
            let running = *self.running.get(name).unwrap_or(&0);
            let free = spec.concurrency.saturating_sub(running).min(BATCH);
            // Without a backlog (the last take was not full) a new job starts at once.
            let least = if self.backlog.contains(name) { least_take(spec.concurrency, running) } else { 1 };
            if free < least || self.drained.get(name).is_some_and(|until| *until > now) {
                continue;
            }
            let per_lane = spec.per_lane as i32;
            let (busy, room): (Vec<String>, Vec<i32>) =
                self.lanes.iter().map(|(l, n)| (l.clone(), per_lane.saturating_sub(*n as i32))).unzip();
            let Ok(mut conn) = self.db.get().await else { return };
            let lease = spec.lease().as_secs() as i64;
            let claimed =
                match rows::claim(&mut conn, name, &self.worker, free as i64, lease, per_lane, &busy, &room)
                    .await
                {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(queue = name, error = %e, "taking jobs failed");
                        return;
                    }
                };
            drop(conn);
            if claimed.len() < free {
                self.drained.insert(name, now + IDLE);
                self.backlog.remove(name);
            } else {
                self.backlog.insert(name);
            }
            for job in claimed {
                self.start(spec, job);
            }
        }
    }

    fn start(&mut self, spec: Spec, job: Claimed) {
        *self.running.entry(spec.queue.name).or_default() += 1;
        if let Some(l) = &job.lane {
            *self.lanes.entry(l.clone()).or_default() += 1;
        }
        let Claimed { id, payload, attempts, max_attempts, lane } = job;
        let task_lane = lane.clone();
        let run = (self.handler)(payload);
        let handle = self.tasks.spawn(async move {
            let result = match tokio::time::timeout(spec.timeout, run).await {
                Ok(r) => r,
                Err(_) => Err(Failure::Retry(format!("did not finish within {} s", spec.timeout.as_secs()))),
            };
            Finished { id, spec, lane: task_lane, attempts, max_attempts, result }
        });
        self.by_task.insert(handle.id(), (id, spec, lane, attempts, max_attempts));
    }

    async fn finished(&mut self, r: Result<(tokio::task::Id, Finished), tokio::task::JoinError>) {
        let f = match r {
            Ok((task, f)) => {
                self.by_task.remove(&task);
                f
            }
            Err(e) => {
                let Some((id, spec, lane, attempts, max_attempts)) = self.by_task.remove(&e.id()) else {
                    return;
                };
                let why = if e.is_panic() { "the job panicked" } else { "the job was cancelled" };
                Finished { id, spec, lane, attempts, max_attempts, result: Err(Failure::Retry(why.into())) }
            }
        };
        if let Some(n) = self.running.get_mut(f.spec.queue.name) {
            *n = n.saturating_sub(1);
        }
        if let Some(l) = &f.lane {
            if let Some(n) = self.lanes.get_mut(l) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.lanes.remove(l);
                }
            }
        }
        let queue = f.spec.queue.name;
        let (error, retry_at) = match f.result {
            Ok(()) => {
                metrics::counter!("jobs_completed_total", "queue" => queue).increment(1);
                self.done.push(f.id);
                return;
            }
            Err(Failure::Permanent(e)) => (e, None),
            Err(Failure::Retry(e)) if f.attempts < f.max_attempts => {
                let delay = f.spec.queue.retry_delay(f.attempts, rand::random::<f64>());
                (e, Some(delay))
            }
            Err(Failure::RetryAfter(d, e)) if f.attempts < f.max_attempts => (e, Some(d)),
            Err(Failure::Retry(e) | Failure::RetryAfter(_, e)) => (e, None),
        };
        metrics::counter!("jobs_failed_total", "queue" => queue).increment(1);
        match retry_at {
            Some(_) => {
                tracing::debug!(queue, job = f.id, attempt = f.attempts, error = %error, "job failed; retrying later")
            }
            None => {
                tracing::warn!(queue, job = f.id, attempt = f.attempts, error = %error, "job failed for good")
            }
        }
        let at = retry_at.map(|d| chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_default());
        match self.db.get().await {
            Ok(mut conn) => {
                if let Err(e) = rows::fail(&mut conn, f.id, &error, at).await {
                    tracing::warn!(job = f.id, error = %e, "recording a failed job failed; its lease will run out");
                }
            }
            Err(e) => {
                tracing::warn!(job = f.id, error = %e, "recording a failed job failed; its lease will run out")
            }
        }
    }

    /// Records the jobs that succeeded (kept for the next try while PostgreSQL is away).
    async fn record(&mut self) {
        if self.done.is_empty() {
            return;
        }
        let Ok(mut conn) = self.db.get().await else { return };
        match rows::complete(&mut conn, &self.done).await {
            Ok(_) => self.done.clear(),
            Err(e) => tracing::warn!(jobs = self.done.len(), error = %e, "recording finished jobs failed"),
        }
    }

    async fn shut_down(mut self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        if !self.tasks.is_empty() {
            tracing::info!(jobs = self.tasks.len(), "letting running jobs finish");
        }
        while !self.tasks.is_empty() {
            match tokio::time::timeout_at(deadline, self.tasks.join_next_with_id()).await {
                Ok(Some(r)) => self.finished(r).await,
                Ok(None) => break,
                Err(_) => break,
            }
        }
        let unfinished: Vec<i64> = self.by_task.values().map(|(id, ..)| *id).collect();
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        for _ in 0..3 {
            self.record().await;
            if self.done.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if !unfinished.is_empty() {
            match self.db.get().await {
                Ok(mut conn) => match rows::release(&mut conn, &unfinished).await {
                    Ok(n) => tracing::info!(jobs = n, "gave back unfinished jobs"),
                    Err(e) => {
                        tracing::warn!(error = %e, "giving back unfinished jobs failed; their leases will run out")
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "giving back unfinished jobs failed; their leases will run out")
                }
            }
        }
        tracing::info!(worker = %self.worker, "job worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::least_take;

    #[test]
    fn busy_queues_take_jobs_in_groups() {
        // Nearly idle: any free slot is taken at once.
        assert_eq!(least_take(64, 0), 1);
        assert_eq!(least_take(64, 16), 1);
        // Busy: a quarter of the slots must be free.
        assert_eq!(least_take(64, 17), 16);
        assert_eq!(least_take(64, 63), 16);
        // Small queues never wait for more than one slot.
        assert_eq!(least_take(2, 2), 1);
        assert_eq!(least_take(4, 3), 1);
    }
}
