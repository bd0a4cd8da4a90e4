//! The job queue's rows (`jobs`, `job_counters`, `job_schedules`): enqueueing (inside the
//! caller's transaction, so a job exists exactly when the change that asked for it does),
//! taking due jobs with `FOR UPDATE SKIP LOCKED` under a lease, finishing, retrying, burying
//! and inspecting them. The rules of what a job does live with the runner (`jobs/`) and the
//! domain; this module only moves rows.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Nullable, Text, Timestamptz, Varchar};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use std::sync::LazyLock;
use tokio::sync::Notify;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub queue: &'static str,
    pub payload: Value,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
    /// While a job with this key is queued (ready, running or dead), another is not added.
    pub unique_key: Option<String>,
    pub lane: Option<String>,
}

/// Wakes this process's workers when a job was enqueued here (other processes find it on
/// their next look).
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Tells this process's workers that jobs are waiting (call after the enqueueing commit).
pub fn wake() {
    WAKE.notify_one();
}

/// Resolves when [`wake`] was called since the last time this resolved.
pub async fn woken() {
    WAKE.notified().await
}

/// Enqueues `jobs`; those whose unique key is already queued are skipped. Returns how many
/// were added.
pub async fn insert(conn: &mut AsyncPgConnection, jobs: &[NewJob]) -> diesel::QueryResult<usize> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let col = |f: fn(&NewJob) -> Option<String>| jobs.iter().map(f).collect::<Vec<_>>();
    super::cached(
        diesel::sql_query(
            "INSERT INTO jobs (queue, payload, run_at, max_attempts, unique_key, lane) \
         SELECT * FROM UNNEST($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING",
        )
        .bind::<Array<Varchar>, _>(jobs.iter().map(|j| j.queue).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(jobs.iter().map(|j| &j.payload).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(jobs.iter().map(|j| j.run_at).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(jobs.iter().map(|j| j.max_attempts).collect::<Vec<_>>())
        .bind::<Array<Nullable<Varchar>>, _>(col(|j| j.unique_key.clone()))
        .bind::<Array<Nullable<Varchar>>, _>(col(|j| j.lane.clone())),
    )
    .execute(conn)
    .await
}

/// A job taken by a worker: its attempt number counts this run.
#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Jsonb)]
    pub payload: Value,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Integer)]
    pub max_attempts: i32,
    #[diesel(sql_type = Nullable<Varchar>)]
    pub lane: Option<String>,
}

/// Takes up to `limit` due jobs of `queue`, oldest due first, leasing them to `worker` for
/// `lease_secs`. Lanes are bounded: a lane named in `busy` may get as many more jobs as its
/// entry in `room` (none when 0: its jobs are skipped), any other lane `per_lane`.
#[allow(clippy::too_many_arguments)]
pub async fn claim(
    conn: &mut AsyncPgConnection,
    queue: &str,
    worker: &str,
    limit: i64,
    lease_secs: i64,
    per_lane: i32,
    busy: &[String],
    room: &[i32],
) -> diesel::QueryResult<Vec<Claimed>> {
    let full: Vec<&String> = busy.iter().zip(room).filter(|(_, r)| **r <= 0).map(|(l, _)| l).collect();
    // Candidates: the oldest due jobs outside full lanes (a window a few times the batch, so a
    // lane with a long backlog leaves room for the others), then per lane only as many as it
    // has room for.
    super::cached(diesel::sql_query(
        "UPDATE jobs j SET state = 'running', locked_by = $2, \
           locked_until = now() + make_interval(secs => $4), attempts = j.attempts + 1, updated_at = now() \
         WHERE j.id IN (SELECT id FROM ( \
             SELECT id, lane, run_at, row_number() OVER (PARTITION BY lane ORDER BY run_at, id) AS rn FROM ( \
               SELECT id, lane, run_at FROM jobs WHERE state = 'ready' AND queue = $1 AND run_at <= now() \
                 AND (lane IS NULL OR NOT (lane = ANY($5))) \
                 ORDER BY run_at, id LIMIT $3 * 16 FOR UPDATE SKIP LOCKED) c) r \
           WHERE r.lane IS NULL OR r.rn <= coalesce( \
             (SELECT u.room FROM UNNEST($6::varchar[], $7::int[]) AS u(lane, room) WHERE u.lane = r.lane), $8) \
           ORDER BY run_at, id LIMIT $3) \
         RETURNING j.id, j.payload, j.attempts, j.max_attempts, j.lane",
    )
    .bind::<Varchar, _>(queue)
    .bind::<Varchar, _>(worker)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(lease_secs)
    .bind::<Array<Varchar>, _>(full)
    .bind::<Array<Varchar>, _>(busy)
    .bind::<Array<Integer>, _>(room)
    .bind::<Integer, _>(per_lane))
    .load(conn)
    .await
}

/// Finishes jobs that succeeded: their rows go, and their queues' completed counters move.
pub async fn complete(conn: &mut AsyncPgConnection, ids: &[i64]) -> diesel::QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    super::cached(
        diesel::sql_query(
            "WITH d AS (DELETE FROM jobs WHERE id = ANY($1) AND state = 'running' RETURNING queue), \
              c AS (SELECT queue, count(*) AS n FROM d GROUP BY queue) \
         INSERT INTO job_counters (queue, completed) SELECT queue, n FROM c \
         ON CONFLICT (queue) DO UPDATE SET completed = job_counters.completed + excluded.completed",
        )
        .bind::<Array<BigInt>, _>(ids),
    )
    .execute(conn)
    .await
}

/// Records a failed run: the job waits until `retry_at`, or, without one, is dead.
pub async fn fail(
    conn: &mut AsyncPgConnection,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> diesel::QueryResult<usize> {
    let error: String = error.chars().take(2000).collect();
    super::cached(diesel::sql_query(
        "WITH j AS (UPDATE jobs SET state = CASE WHEN $3::timestamptz IS NULL THEN 'dead' ELSE 'ready' END, \
           run_at = coalesce($3, run_at), last_error = $2, locked_by = NULL, locked_until = NULL, updated_at = now() \
           WHERE id = $1 AND state = 'running' RETURNING queue, state) \
         INSERT INTO job_counters (queue, failed) SELECT queue, 1 FROM j WHERE state = 'dead' \
         ON CONFLICT (queue) DO UPDATE SET failed = job_counters.failed + 1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(error)
    .bind::<Nullable<Timestamptz>, _>(retry_at))
    .execute(conn)
    .await
}

/// Gives jobs back unfinished (a worker stopping): they are ready again and this run does
/// not count as an attempt.
pub async fn release(conn: &mut AsyncPgConnection, ids: &[i64]) -> diesel::QueryResult<usize> {
    super::cached(
        diesel::sql_query(
            "UPDATE jobs SET state = 'ready', attempts = greatest(attempts - 1, 0), locked_by = NULL, \
           locked_until = NULL, updated_at = now() WHERE id = ANY($1) AND state = 'running'",
        )
        .bind::<Array<BigInt>, _>(ids),
    )
    .execute(conn)
    .await
}

/// Takes back jobs whose lease ran out (their worker died): each run counts as an attempt, so
/// a job that kills its worker every time ends dead instead of looping.
pub async fn reap(conn: &mut AsyncPgConnection) -> diesel::QueryResult<usize> {
    super::cached(diesel::sql_query(
        "WITH j AS (UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END, \
           last_error = 'the worker running it stopped (lease expired)', locked_by = NULL, locked_until = NULL, \
           updated_at = now() \
           WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND locked_until < now() \
             FOR UPDATE SKIP LOCKED) RETURNING queue, state) \
         INSERT INTO job_counters (queue, failed) SELECT queue, count(*) FROM j WHERE state = 'dead' GROUP BY queue \
         ON CONFLICT (queue) DO UPDATE SET failed = job_counters.failed + excluded.failed",
    ))
    .execute(conn)
    .await
}

/// Moves every waiting job of `lane` that is due before `until` to `until` (a host that is
/// down costs nothing until then). Returns how many moved.
pub async fn postpone_lane(
    conn: &mut AsyncPgConnection,
    lane: &str,
    until: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    super::cached(diesel::sql_query(
        "UPDATE jobs SET run_at = $2, updated_at = now() WHERE lane = $1 AND state = 'ready' AND run_at < $2",
    )
    .bind::<Varchar, _>(lane)
    .bind::<Timestamptz, _>(until))
    .execute(conn)
    .await
}

/// One queue's counts.
#[derive(diesel::QueryableByName, Debug, Clone, serde::Serialize)]
pub struct QueueCounts {
    #[diesel(sql_type = Varchar)]
    pub queue: String,
    /// Ready and due.
    #[diesel(sql_type = BigInt)]
    pub waiting: i64,
    /// Ready, due later (backing off or scheduled).
    #[diesel(sql_type = BigInt)]
    pub delayed: i64,
    #[diesel(sql_type = BigInt)]
    pub active: i64,
    #[diesel(sql_type = BigInt)]
    pub dead: i64,
    #[diesel(sql_type = BigInt)]
    pub completed: i64,
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
    /// Seconds the oldest due job has waited.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub oldest_wait_secs: Option<i64>,
}

/// Counts per queue, for every queue that has jobs or counters.
pub async fn counts(conn: &mut AsyncPgConnection) -> diesel::QueryResult<Vec<QueueCounts>> {
    super::cached(diesel::sql_query(
        "WITH s AS (SELECT queue, \
             count(*) FILTER (WHERE state = 'ready' AND run_at <= now()) AS waiting, \
             count(*) FILTER (WHERE state = 'ready' AND run_at > now()) AS delayed, \
             count(*) FILTER (WHERE state = 'running') AS active, \
             count(*) FILTER (WHERE state = 'dead') AS dead, \
             min(run_at) FILTER (WHERE state = 'ready' AND run_at <= now()) AS oldest \
           FROM jobs GROUP BY queue) \
         SELECT coalesce(s.queue, c.queue) AS queue, coalesce(s.waiting, 0) AS waiting, \
           coalesce(s.delayed, 0) AS delayed, coalesce(s.active, 0) AS active, coalesce(s.dead, 0) AS dead, \
           coalesce(c.completed, 0) AS completed, coalesce(c.failed, 0) AS failed, \
           extract(epoch FROM now() - s.oldest)::bigint AS oldest_wait_secs \
         FROM s FULL JOIN job_counters c ON c.queue = s.queue ORDER BY 1",
    ))
    .load(conn)
    .await
}

/// A job as the admin views show it.
#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct JobRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Varchar)]
    pub queue: String,
    #[diesel(sql_type = Jsonb)]
    pub payload: Value,
    #[diesel(sql_type = Varchar)]
    pub state: String,
    #[diesel(sql_type = Timestamptz)]
    pub run_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Integer)]
    pub max_attempts: i32,
    #[diesel(sql_type = Nullable<Varchar>)]
    pub lane: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    pub locked_by: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

const JOB_COLUMNS: &str =
    "id, queue, payload, state, run_at, attempts, max_attempts, lane, locked_by, last_error, created_at, updated_at";

/// Which jobs a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Waiting,
    Delayed,
    Active,
    Dead,
}

impl Listed {
    fn condition(self) -> &'static str {
        match self {
            Listed::Waiting => "state = 'ready' AND run_at <= now()",
            Listed::Delayed => "state = 'ready' AND run_at > now()",
            Listed::Active => "state = 'running'",
            Listed::Dead => "state = 'dead'",
        }
    }
}

/// Jobs of `queue` (any queue when `None`) in the states `which`, newest change first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    queue: Option<&str>,
    which: &[Listed],
    limit: i64,
) -> diesel::QueryResult<Vec<JobRow>> {
    if which.is_empty() {
        return Ok(vec![]);
    }
    let states: Vec<&str> = which.iter().map(|w| w.condition()).collect();
    // The conditions come from the fixed set above, never from input.
    diesel::sql_query(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE ($1::varchar IS NULL OR queue = $1) AND (({})) \
         ORDER BY updated_at DESC, id DESC LIMIT $2",
        states.join(") OR (")
    ))
    .bind::<Nullable<Varchar>, _>(queue)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

pub async fn show(conn: &mut AsyncPgConnection, id: i64) -> diesel::QueryResult<Option<JobRow>> {
    use diesel::OptionalExtension;
    super::cached(
        diesel::sql_query(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1")).bind::<BigInt, _>(id),
    )
    .get_result(conn)
    .await
    .optional()
}

/// Puts dead jobs back in line with fresh attempts: one (`id`), those of one queue, or all.
pub async fn retry_dead(
    conn: &mut AsyncPgConnection,
    id: Option<i64>,
    queue: Option<&str>,
) -> diesel::QueryResult<usize> {
    super::cached(
        diesel::sql_query(
            "UPDATE jobs SET state = 'ready', attempts = 0, run_at = now(), updated_at = now() \
         WHERE state = 'dead' AND ($1::bigint IS NULL OR id = $1) AND ($2::varchar IS NULL OR queue = $2)",
        )
        .bind::<Nullable<BigInt>, _>(id)
        .bind::<Nullable<Varchar>, _>(queue),
    )
    .execute(conn)
    .await
}

/// Makes delayed jobs of `queue` due now (waiting out no backoff). Returns how many.
pub async fn promote(conn: &mut AsyncPgConnection, queue: &str) -> diesel::QueryResult<usize> {
    super::cached(diesel::sql_query(
        "UPDATE jobs SET run_at = now(), updated_at = now() WHERE queue = $1 AND state = 'ready' AND run_at > now()",
    )
    .bind::<Varchar, _>(queue))
    .execute(conn)
    .await
}

/// Makes one waiting job due now.
pub async fn promote_one(conn: &mut AsyncPgConnection, id: i64) -> diesel::QueryResult<usize> {
    super::cached(
        diesel::sql_query(
            "UPDATE jobs SET run_at = now(), updated_at = now() WHERE id = $1 AND state = 'ready'",
        )
        .bind::<BigInt, _>(id),
    )
    .execute(conn)
    .await
}

/// Removes a job that is not running. Returns whether there was one.
pub async fn remove(conn: &mut AsyncPgConnection, id: i64) -> diesel::QueryResult<bool> {
    let n = super::cached(
        diesel::sql_query("DELETE FROM jobs WHERE id = $1 AND state <> 'running'").bind::<BigInt, _>(id),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// Removes dead jobs last changed before `before`. Returns how many.
pub async fn purge_dead(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> diesel::QueryResult<usize> {
    super::cached(
        diesel::sql_query("DELETE FROM jobs WHERE state = 'dead' AND updated_at < $1")
            .bind::<Timestamptz, _>(before),
    )
    .execute(conn)
    .await
}

/// Waiting and delayed jobs of `queue` per lane, most first (Misskey's deliver-delayed view).
pub async fn lanes(
    conn: &mut AsyncPgConnection,
    queue: &str,
    limit: i64,
) -> diesel::QueryResult<Vec<(String, i64)>> {
    #[derive(diesel::QueryableByName)]
    struct Lane {
        #[diesel(sql_type = Varchar)]
        lane: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Lane> = super::cached(
        diesel::sql_query(
            "SELECT lane, count(*) AS n FROM jobs WHERE queue = $1 AND state = 'ready' AND lane IS NOT NULL \
             GROUP BY lane ORDER BY n DESC, lane LIMIT $2",
        )
        .bind::<Varchar, _>(queue)
        .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.lane, r.n)).collect())
}

/// Of the schedules `(name, every_secs)`, those due now, each moved on by its period in the
/// same statement: one process wins each period, however many run.
pub async fn due_schedules(
    conn: &mut AsyncPgConnection,
    schedules: &[(&str, i64)],
) -> diesel::QueryResult<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Due {
        #[diesel(sql_type = Varchar)]
        name: String,
    }
    let names: Vec<&str> = schedules.iter().map(|s| s.0).collect();
    let every: Vec<i64> = schedules.iter().map(|s| s.1).collect();
    let rows: Vec<Due> = super::cached(
        diesel::sql_query(
            "WITH s AS (SELECT * FROM UNNEST($1, $2) AS t(name, every)), \
                  ins AS (INSERT INTO job_schedules (name) SELECT name FROM s ON CONFLICT DO NOTHING) \
             UPDATE job_schedules j SET next_run_at = now() + make_interval(secs => s.every) \
             FROM s WHERE j.name = s.name AND j.next_run_at <= now() RETURNING j.name",
        )
        .bind::<Array<Varchar>, _>(names)
        .bind::<Array<BigInt>, _>(every),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|d| d.name).collect())
}
