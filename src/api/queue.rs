//! admin/queue/*: the job queue as Misskey's moderators see it (counts per queue, jobs by
//! state, retrying, removing and promoting jobs, delayed deliveries per host).

use super::endpoint::{Ctx, Out};
use super::params::AtMost;
use super::ApiError;
use crate::db::jobs::{self as q, JobRow, Listed};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn no_such_job() -> ApiError {
    ApiError::client("NO_SUCH_JOB", "a2e1f5c3-8b0d-4c6e-9f7a-3d5b1c2e4f60", "No such job.")
}

/// One queue's counts as misskey-js's `QueueCount`.
fn count_of(counts: &[q::QueueCounts], queue: &str) -> Value {
    let c = counts.iter().find(|c| c.queue == queue);
    let n = |f: fn(&q::QueueCounts) -> i64| c.map(f).unwrap_or(0);
    json!({
        "waiting": n(|c| c.waiting),
        "active": n(|c| c.active),
        "completed": n(|c| c.completed),
        "failed": n(|c| c.failed),
        "delayed": n(|c| c.delayed),
    })
}

pub async fn stats(ctx: Ctx, _: super::accounts::NoParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let counts = q::counts(&mut conn).await?;
    // The four queues misskey-js's AdminQueueStatsResponse has; every queue is in
    // `admin jobs stats` and admin/queue/jobs.
    let out: Map<String, Value> = ["deliver", "inbox", "db", "objectStorage"]
        .into_iter()
        .map(|name| (name.to_string(), count_of(&counts, name)))
        .collect();
    Ok(Value::Object(out).into())
}

/// A queue's name as clients send it; only queues this server has are accepted.
#[derive(Deserialize, JsonSchema, Clone)]
#[serde(transparent)]
pub struct QueueName(
    #[schemars(extend("enum" = ["system", "endedPollNotification", "postScheduledNote", "deliver", "inbox", "db", "relationship", "objectStorage", "userWebhookDeliver", "systemWebhookDeliver"]))]
     String,
);

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum State {
    Active,
    Wait,
    Delayed,
    Completed,
    Failed,
    Paused,
}

#[derive(Deserialize, JsonSchema)]
pub struct JobsParams {
    queue: QueueName,
    state: AtMost<6, State>,
    /// Only jobs whose payload contains this text.
    search: Option<String>,
}

/// A job as misskey-js's `QueueJob`.
fn pack(j: &JobRow) -> Value {
    let ms = |t: chrono::DateTime<chrono::Utc>| t.timestamp_millis();
    let name = j.payload.get("type").and_then(Value::as_str).unwrap_or(&j.queue).to_string();
    let mut v = json!({
        "id": j.id.to_string(),
        "name": name,
        "data": j.payload,
        "opts": { "attempts": j.max_attempts, "lane": j.lane },
        "timestamp": ms(j.created_at),
        "progress": {},
        "attempts": j.attempts,
        "delay": (ms(j.run_at) - ms(j.created_at)).max(0),
        "failedReason": j.last_error.clone().unwrap_or_default(),
        "stacktrace": [],
        "returnValue": {},
        "isFailed": j.state == "dead",
    });
    if j.attempts > 0 {
        v["processedOn"] = json!(ms(j.updated_at));
    }
    if let Some(w) = &j.locked_by {
        v["processedBy"] = json!(w);
    }
    if j.state == "dead" {
        v["finishedOn"] = json!(ms(j.updated_at));
    }
    v
}

pub async fn jobs(ctx: Ctx, p: JobsParams) -> Result<Out, ApiError> {
    let which: Vec<Listed> = p
        .state
        .0
        .iter()
        .filter_map(|s| match s {
            State::Active => Some(Listed::Active),
            State::Wait => Some(Listed::Waiting),
            State::Delayed => Some(Listed::Delayed),
            State::Failed => Some(Listed::Dead),
            // Completed jobs are not kept (only counted); no queue is paused.
            State::Completed | State::Paused => None,
        })
        .collect();
    let mut conn = ctx.db().await?;
    let rows = q::list(&mut conn, Some(&p.queue.0), &which, 100).await?;
    let search = p.search.filter(|s| !s.is_empty());
    let out: Vec<Value> = rows
        .iter()
        .filter(|j| search.as_ref().is_none_or(|s| j.payload.to_string().contains(s.as_str())))
        .map(pack)
        .collect();
    Ok(Value::Array(out).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobParams {
    queue: QueueName,
    job_id: String,
}

/// The job of `p`, if it is in the queue it names.
async fn find(conn: &mut crate::db::DbConn, p: &JobParams) -> Result<JobRow, ApiError> {
    let id: i64 = p.job_id.parse().map_err(|_| no_such_job())?;
    q::show(conn, id).await?.filter(|j| j.queue == p.queue.0).ok_or_else(no_such_job)
}

pub async fn show_job(ctx: Ctx, p: JobParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    Ok(pack(&find(&mut conn, &p).await?).into())
}

/// A dead job gets fresh attempts; a delayed one is made due now.
pub async fn retry_job(ctx: Ctx, p: JobParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let job = find(&mut conn, &p).await?;
    if job.state == "dead" {
        q::retry_dead(&mut conn, Some(job.id), None).await?;
    } else {
        q::promote_one(&mut conn, job.id).await?;
    }
    crate::db::jobs::wake();
    Ok(().into())
}

pub async fn remove_job(ctx: Ctx, p: JobParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let job = find(&mut conn, &p).await?;
    if !q::remove(&mut conn, job.id).await? {
        return Err(ApiError::client(
            "JOB_IS_RUNNING",
            "5b8a4d2e-1c3f-4e6a-8d7b-9f0e2a1c3b54",
            "The job is running; it can be removed once it has finished or failed.",
        ));
    }
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
pub struct QueueParams {
    queue: QueueName,
}

pub async fn promote_jobs(ctx: Ctx, p: QueueParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    q::promote(&mut conn, &p.queue.0).await?;
    crate::db::jobs::wake();
    Ok(().into())
}

/// `[host, jobs]` pairs of a queue's waiting jobs, most first.
async fn per_host(ctx: Ctx, queue: &str) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let lanes = q::lanes(&mut conn, queue, 50).await?;
    Ok(Value::Array(lanes.into_iter().map(|(host, n)| json!([host, n])).collect()).into())
}

pub async fn deliver_delayed(ctx: Ctx, _: super::accounts::NoParams) -> Result<Out, ApiError> {
    per_host(ctx, "deliver").await
}

pub async fn inbox_delayed(ctx: Ctx, _: super::accounts::NoParams) -> Result<Out, ApiError> {
    per_host(ctx, "inbox").await
}
