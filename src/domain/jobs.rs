//! Work done later: what each job is, which queue it waits in and how often it may be tried.
//! Jobs are enqueued in the transaction of the change that asks for them (so a job exists
//! exactly when its cause does); `jobs/` runs them. Queues carry Misskey's names, so the admin
//! views of clients show them where they expect.

use crate::db::jobs::{self as rows, NewJob};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A queue: its name and its retry rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    pub name: &'static str,
    /// Runs, the first included, before a job is dead.
    pub max_attempts: i32,
    /// The first retry's delay; each later one doubles, up to `backoff_cap`.
    pub backoff: Duration,
    pub backoff_cap: Duration,
}

pub const POLLS: Queue = Queue {
    name: "endedPollNotification",
    max_attempts: 10,
    backoff: Duration::from_secs(10),
    backoff_cap: Duration::from_secs(600),
};
pub const SYSTEM: Queue = Queue {
    name: "system",
    max_attempts: 5,
    backoff: Duration::from_secs(30),
    backoff_cap: Duration::from_secs(3600),
};

/// Activities to other servers: one job per inbox, retried for about two days.
pub const DELIVER: Queue = Queue {
    name: "deliver",
    max_attempts: 17,
    backoff: Duration::from_secs(60),
    backoff_cap: Duration::from_secs(6 * 3600),
};
/// Activities from other servers, verified on arrival.
pub const INBOX: Queue = Queue {
    name: "inbox",
    max_attempts: 8,
    backoff: Duration::from_secs(30),
    backoff_cap: Duration::from_secs(3600),
};
/// Local actions to tell other servers of: each becomes deliveries to the inboxes concerned.
pub const FEDERATE: Queue = Queue {
    name: "db",
    max_attempts: 8,
    backoff: Duration::from_secs(10),
    backoff_cap: Duration::from_secs(600),
};

/// Every queue, in the order the admin views list them.
pub const QUEUES: [Queue; 5] = [DELIVER, INBOX, FEDERATE, POLLS, SYSTEM];

pub fn queue(name: &str) -> Option<Queue> {
    QUEUES.iter().copied().find(|q| q.name == name)
}

impl Queue {
    /// The delay before run `attempt + 1` after run `attempt` (1-based) failed: doubling from
    /// `backoff` up to `backoff_cap`, spread by ±25 % so that jobs that failed together do not
    /// come back together.
    pub fn retry_delay(&self, attempt: i32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).clamp(0, 30) as u32;
        let base = self.backoff.saturating_mul(1u32 << doublings.min(20)).min(self.backoff_cap);
        base.mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// A job: the payload stored in its row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Job {
    /// Close a poll whose time is up and tell its author and voters.
    #[serde(rename_all = "camelCase")]
    PollEnd { note_id: String },
    /// Periodic upkeep: polls whose job went missing, dead jobs past their keeping time.
    Sweep,
    /// An activity that arrived in an inbox, signed by the remote user `signer` (already verified).
    Inbox { activity: serde_json::Value, signer: String },
    /// A local action to tell other servers of.
    Federate { action: super::federation::Action },
    /// One activity to one inbox, signed by the local user `signer`.
    Deliver { inbox: String, activity: serde_json::Value, signer: String },
    /// Read a remote user's featured collection (their pinned notes).
    Featured { user: String },
    /// Ask a server what it says of itself (NodeInfo, manifest).
    InstanceInfo { host: String },
    /// Remove what a deleted account had.
    DeleteAccount { user: String },
    /// Remove every drive file of a user (a moderator asked).
    DeleteFiles { user: String },
    /// Export the local custom emoji as a pack into a user's drive.
    ExportEmojis { user: String },
    /// Import an emoji pack (a zip in a user's drive).
    #[serde(rename_all = "camelCase")]
    ImportEmojis { user: String, file_id: String },
    /// Store a file fetched from a URL in a user's drive.
    #[serde(rename_all = "camelCase")]
    UploadFromUrl {
        user: String,
        url: String,
        folder_id: Option<String>,
        sensitive: bool,
        comment: Option<String>,
        marker: Option<String>,
        force: bool,
    },
}

impl Job {
    pub fn queue(&self) -> Queue {
        match self {
            Job::PollEnd { .. } => POLLS,
            Job::Sweep
            | Job::InstanceInfo { .. }
            | Job::Featured { .. }
            | Job::DeleteAccount { .. }
            | Job::DeleteFiles { .. }
            | Job::ExportEmojis { .. }
            | Job::ImportEmojis { .. }
            | Job::UploadFromUrl { .. } => SYSTEM,
            Job::Inbox { .. } => INBOX,
            Job::Federate { .. } => FEDERATE,
            Job::Deliver { .. } => DELIVER,
        }
    }

    /// Jobs with a key are queued at most once at a time.
    fn unique_key(&self) -> Option<String> {
        match self {
            Job::PollEnd { note_id } => Some(format!("pollEnd:{note_id}")),
            Job::Sweep => Some("sweep".into()),
            // A replayed activity is taken once.
            Job::Inbox { activity, .. } => {
                activity.get("id").and_then(|v| v.as_str()).map(|id| hashed("inbox", &[id]))
            }
            Job::Federate { action } => Some(format!("federate:{}", action.id())),
            Job::Deliver { inbox, activity, .. } => {
                activity.get("id").and_then(|v| v.as_str()).map(|id| hashed("deliver", &[id, inbox]))
            }
            Job::InstanceInfo { host } => Some(hashed("instanceInfo", &[host])),
            Job::Featured { user } => Some(format!("featured:{user}")),
            Job::DeleteAccount { user } => Some(format!("deleteAccount:{user}")),
            Job::DeleteFiles { user } => Some(format!("deleteFiles:{user}")),
            Job::UploadFromUrl { .. } => None,
            Job::ExportEmojis { user } => Some(format!("exportEmojis:{user}")),
            Job::ImportEmojis { file_id, .. } => Some(format!("importEmojis:{file_id}")),
        }
    }

    /// Deliveries run per receiving host (bounded concurrency, backing off together).
    fn lane(&self) -> Option<String> {
        match self {
            Job::Deliver { inbox, .. } => super::federation::authority_of(inbox),
            _ => None,
        }
    }

    /// The row that enqueues this job to run at `run_at`.
    pub fn row(&self, run_at: DateTime<Utc>) -> NewJob {
        let q = self.queue();
        NewJob {
            queue: q.name,
            payload: serde_json::to_value(self).unwrap_or_default(),
            run_at,
            max_attempts: q.max_attempts,
            unique_key: self.unique_key(),
            lane: self.lane(),
        }
    }
}

/// A unique key of bounded length from parts of any length.
fn hashed(prefix: &str, parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let hex: String = h.finalize().iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}:{hex}")
}

/// Enqueues `jobs` (in the caller's transaction, when it has one). Returns how many were new.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    jobs: &[(Job, DateTime<Utc>)],
) -> Result<usize, crate::domain::Error> {
    let rows: Vec<NewJob> = jobs.iter().map(|(j, at)| j.row(*at)).collect();
    Ok(rows::insert(conn, &rows).await?)
}

/// Enqueues jobs that arrive one by one from many requests (activities posted to the inbox)
/// together: each caller's job is stored in a statement with those of the callers waiting
/// beside it, and the caller is answered once it is committed. One commit for many jobs, and
/// no waiting when nobody else is: a batch is what has queued while the last one was written.
#[derive(Clone)]
pub struct Enqueuer {
    tx: tokio::sync::mpsc::Sender<(NewJob, tokio::sync::oneshot::Sender<bool>)>,
}

/// The most jobs in one statement.
const ENQUEUE_BATCH: usize = 256;

impl Enqueuer {
    /// Starts the enqueuing task over `db`. Needs a Tokio runtime.
    pub fn start(db: std::sync::Arc<crate::db::DbPool>) -> Enqueuer {
        let (tx, mut rx) = tokio::sync::mpsc::channel(4 * ENQUEUE_BATCH);
        tokio::spawn(async move {
            use futures_util::FutureExt;
            let mut batch = Vec::with_capacity(ENQUEUE_BATCH);
            while rx.recv_many(&mut batch, ENQUEUE_BATCH).await > 0 {
                let work = std::panic::AssertUnwindSafe(Self::write(&db, std::mem::take(&mut batch)));
                if work.catch_unwind().await.is_err() {
                    tracing::error!("enqueuing a batch of jobs failed; its callers were told");
                }
            }
        });
        Enqueuer { tx }
    }

    /// Stores the job (one already queued under its unique key counts as stored); `false` when
    /// it could not be stored now.
    pub async fn enqueue(&self, job: &Job, run_at: DateTime<Utc>) -> bool {
        let (done, rx) = tokio::sync::oneshot::channel();
        if self.tx.send((job.row(run_at), done)).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    async fn write(db: &crate::db::DbPool, batch: Vec<(NewJob, tokio::sync::oneshot::Sender<bool>)>) {
        let (rows, answers): (Vec<NewJob>, Vec<_>) = batch.into_iter().unzip();
        // No connection: nobody's job is stored now; each caller says so at once.
        let Ok(mut conn) = db.get().await else {
            for a in answers {
                let _ = a.send(false);
            }
            return;
        };
        let stored = rows::insert(&mut conn, &rows).await.is_ok();
        if stored || rows.len() == 1 {
            if stored {
                rows::wake();
            }
            for a in answers {
                let _ = a.send(stored);
            }
            return;
        }
        // The statement failed (one job the database refuses spoils it): each alone, on the
        // same connection, so that each caller learns of its own.
        let mut any = false;
        for (row, a) in rows.into_iter().zip(answers) {
            let ok = rows::insert(&mut conn, std::slice::from_ref(&row)).await.is_ok();
            any |= ok;
            let _ = a.send(ok);
        }
        if any {
            rows::wake();
        }
    }
}

/// How long dead jobs are kept for inspection.
pub const DEAD_KEPT: Duration = Duration::from_secs(14 * 24 * 3600);

/// Recurring jobs: (schedule name, period, job).
pub fn schedules() -> [(&'static str, Duration, Job); 1] {
    [("sweep", Duration::from_secs(600), Job::Sweep)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_with_bounded_jitter() {
        let q = Queue {
            name: "t",
            max_attempts: 20,
            backoff: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(100),
        };
        assert_eq!(q.retry_delay(1, 0.5), Duration::from_secs(10));
        assert_eq!(q.retry_delay(2, 0.5), Duration::from_secs(20));
        assert_eq!(q.retry_delay(4, 0.5), Duration::from_secs(80));
        assert_eq!(q.retry_delay(5, 0.5), Duration::from_secs(100));
        assert_eq!(q.retry_delay(i32::MAX, 0.5), Duration::from_secs(100));
        assert_eq!(q.retry_delay(i32::MIN, 0.5), Duration::from_secs(10));
        assert_eq!(q.retry_delay(1, 0.0), Duration::from_millis(7500));
        assert_eq!(q.retry_delay(1, 1.0), Duration::from_millis(12500));
    }

    #[test]
    fn payloads_round_trip_in_misskey_style_json() {
        let j = Job::PollEnd { note_id: "a1".into() };
        let v = serde_json::to_value(&j).unwrap();
        assert_eq!(v, serde_json::json!({"type": "pollEnd", "noteId": "a1"}));
        assert_eq!(serde_json::from_value::<Job>(v).unwrap(), j);
    }
}
