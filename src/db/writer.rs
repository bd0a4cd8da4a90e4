//! Group commit for new notes. Notes created at the same moment share one transaction: one
//! multi-row INSERT, one UPDATE of their authors' counters and one of their reply and renote
//! targets' counters, the notifications they cause, and one commit. A stored note always has
//! its notifications, and an error answer means nothing of the note was stored. Each caller waits for the commit that holds its note, so
//! nothing is acknowledged before it is durable; what a batch saves is the per-note commit,
//! statement and round trip, and the wait on a busy author's counter row, which a transaction
//! per note holds until its commit is flushed.
//!
//! One task writes the batches in turn, over a connection pool of its own: callers hold a
//! request connection while they wait, so the writer must never wait for one of those. A batch
//! that fails (a reply target deleted in the meantime, say) is written again note by note, so
//! each caller gets the outcome of its own note.

use super::notes::{bind_new_rows, insert_sql, NewNoteRow, NoteRow};
use super::notifications::{self, NewNotification};
use super::schema::{following, polls};
use super::users::{lite_columns, LiteUser};
use super::DbPool;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Timestamptz, Varchar};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most notes in one transaction.
const MAX_BATCH: usize = 128;

/// A new note's poll.
#[derive(Clone, Debug)]
pub struct NewPoll {
    pub choices: Vec<String>,
    pub multiple: bool,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A note that passed every rule, ready to store with what it causes.
pub struct Insert {
    pub row: NewNoteRow,
    pub poll: Option<NewPoll>,
    /// Notifications from the author about this note: `(notifiee, type)`.
    pub notify: Vec<(String, &'static str)>,
    /// Whether the author's followers who asked to be told of every note get a `note`
    /// notification.
    pub notify_watchers: bool,
    /// Jobs the note causes (its poll's end, deliveries), enqueued with it.
    pub jobs: Vec<super::jobs::NewJob>,
}

/// Why a note was not stored. Nothing of it is stored in any case.
#[derive(Debug, Clone)]
pub enum WriteError {
    /// The reply target was deleted after the note's checks.
    ReplyTargetGone,
    /// Likewise the renote target.
    RenoteTargetGone,
    /// PostgreSQL or the writer cannot answer now; worth retrying.
    Unavailable(&'static str),
    Failed(String),
}

impl From<diesel::result::Error> for WriteError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                match info.constraint_name() {
                    Some("notes_reply_id_fkey") => WriteError::ReplyTargetGone,
                    Some("notes_renote_id_fkey") => WriteError::RenoteTargetGone,
                    _ => WriteError::Failed(info.message().to_string()),
                }
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::BrokenTransactionManager => WriteError::Unavailable("postgres unreachable"),
            other => WriteError::Failed(other.to_string()),
        }
    }
}

impl From<deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>> for WriteError {
    fn from(e: deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>) -> Self {
        tracing::warn!(error = %e, "no database connection for the note writer");
        WriteError::Unavailable("postgres unreachable")
    }
}

/// A stored note and its author as the same transaction left them (counters and last activity
/// included), so the note can be answered without reading either again.
pub struct Stored {
    pub note: NoteRow,
    pub author: LiteUser,
    /// The notifications the note caused, stored in the same transaction.
    pub notified: Vec<notifications::Stored>,
}

struct Job {
    note: Insert,
    done: oneshot::Sender<Result<Stored, WriteError>>,
}

/// The handle requests write notes through; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writing task over `db`, a pool only the writer uses. Needs a Tokio runtime.
    pub fn start(db: Arc<DbPool>) -> Writer {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(db, rx));
        Writer { tx }
    }

    /// Stores the note and returns it with its author once the transaction holding it has
    /// committed.
    pub async fn write(&self, note: Insert) -> Result<Stored, WriteError> {
        let stopped = || WriteError::Unavailable("note writer stopped");
        let (done, rx) = oneshot::channel();
        let answer = async {
            self.tx.send(Job { note, done }).await.map_err(|_| stopped())?;
            rx.await.map_err(|_| stopped())?
        };
        // Statements time out sooner (`db::STATEMENT_TIMEOUT`), so this bound is only reached
        // when the writer cannot get to the batch at all.
        tokio::time::timeout(WRITE_TIMEOUT, answer)
            .await
            .unwrap_or(Err(WriteError::Unavailable("note writer busy")))
    }
}

/// The longest a caller waits for its note to be stored.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

async fn run(db: Arc<DbPool>, mut rx: mpsc::Receiver<Job>) {
    use futures_util::FutureExt;
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        // A panic while writing a batch fails that batch's callers (their answers are dropped)
        // and the writer goes on with the next.
        let batch = std::panic::AssertUnwindSafe(write_batch(&db, std::mem::take(&mut jobs)));
        if batch.catch_unwind().await.is_err() {
            tracing::error!("the note writer failed on a batch; its callers were told");
        }
    }
}

async fn write_batch(db: &DbPool, jobs: Vec<Job>) {
    let notes: Vec<&Insert> = jobs.iter().map(|j| &j.note).collect();
    let first = match db.get().await {
        Ok(mut conn) => insert(&mut conn, &notes).await.map_err(WriteError::from),
        Err(e) => Err(WriteError::from(e)),
    };
    drop(notes);
    let e = match first {
        Ok(stored) => {
            let mut by_id: HashMap<String, Stored> =
                stored.into_iter().map(|s| (s.note.id.clone(), s)).collect();
            for j in jobs {
                let row = by_id
                    .remove(&j.note.row.id)
                    .ok_or_else(|| WriteError::Failed("note not returned".into()));
                let _ = j.done.send(row);
            }
            return;
        }
        Err(e) => e,
    };
    // Nothing of the batch is stored. Write its notes again one by one, on a fresh connection
    // (the failure may have been the connection: PostgreSQL restarted), so that each caller
    // gets the outcome of its own note.
    tracing::debug!(error = ?e, notes = jobs.len(), "note batch failed; writing its notes one by one");
    let mut conn = db.get().await.map_err(WriteError::from);
    for j in jobs {
        let row = match &mut conn {
            Ok(conn) => insert(conn, &[&j.note]).await.map_err(WriteError::from).and_then(|stored| {
                stored.into_iter().next().ok_or_else(|| WriteError::Failed("note not returned".into()))
            }),
            Err(e) => Err(e.clone()),
        };
        let _ = j.done.send(row);
    }
}

/// Stores the notes, their polls, the counters they change and the notifications they cause,
/// in one transaction.
async fn insert(
    conn: &mut AsyncPgConnection,
    notes: &[&Insert],
) -> Result<Vec<Stored>, diesel::result::Error> {
    // Counters, summed per row and in id order. A remote note is no activity of a local user:
    // its author's last activity stays.
    let mut authors: BTreeMap<&str, (i32, Option<DateTime<Utc>>)> = BTreeMap::new();
    let mut targets: BTreeMap<&str, (i32, i32)> = BTreeMap::new();
    for n in notes.iter().map(|n| &n.row) {
        let a = authors.entry(&n.user_id).or_insert((0, None));
        a.0 += 1;
        if n.user_host.is_none() {
            a.1 = a.1.max(Some(n.created_at));
        }
        if let Some(id) = &n.reply_id {
            targets.entry(id).or_default().0 += 1;
        }
        if let (Some(id), Some(user)) = (&n.renote_id, &n.renote_user_id) {
            if *user != n.user_id {
                targets.entry(id).or_default().1 += 1;
            }
        }
    }
    let watched: Vec<&str> =
        notes.iter().filter(|n| n.notify_watchers).map(|n| n.row.user_id.as_str()).collect();
    // Followers who asked to be told of every note (notify = "normal"), by author; read before
    // the transaction so that it holds its locks no longer than the writes take.
    let watchers: Vec<(String, String)> = if watched.is_empty() {
        vec![]
    } else {
        following::table
            .filter(following::followee_id.eq_any(&watched).and(following::notify.eq("normal")))
            .select((following::followee_id, following::follower_id))
            .load(conn)
            .await?
    };
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        let rows: Vec<&NewNoteRow> = notes.iter().map(|n| &n.row).collect();
        let q = bind_new_rows(diesel::sql_query(insert_sql()).into_boxed(), &rows);
        let rows: Vec<NoteRow> = crate::db::cached(q).load(conn).await?;
        let new_polls: Vec<_> = notes
            .iter()
            .filter_map(|n| n.poll.as_ref().map(|p| (&n.row.id, p)))
            .map(|(id, p)| {
                (
                    polls::note_id.eq(id),
                    polls::expires_at.eq(p.expires_at),
                    polls::multiple.eq(p.multiple),
                    polls::choices.eq(&p.choices),
                    polls::votes.eq(vec![0i32; p.choices.len()]),
                )
            })
            .collect();
        if !new_polls.is_empty() {
            diesel::insert_into(polls::table).values(new_polls).execute(conn).await?;
        }
        let authors: Vec<LiteUser> = crate::db::cached(diesel::sql_query(format!(
            "UPDATE users u SET notes_count = u.notes_count + c.n, last_active_date = greatest(u.last_active_date, c.at) \
             FROM UNNEST($1, $2, $3) AS c(id, n, at) WHERE u.id = c.id RETURNING {}",
            lite_columns("u")
        ))
        .bind::<Array<Varchar>, _>(authors.keys().copied().collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(authors.values().map(|a| a.0).collect::<Vec<_>>())
        .bind::<Array<Nullable<Timestamptz>>, _>(authors.values().map(|a| a.1).collect::<Vec<_>>()))
        .load(conn)
        .await?;
        if !targets.is_empty() {
            crate::db::cached(diesel::sql_query(
                "UPDATE notes x SET replies_count = x.replies_count + c.r, renote_count = x.renote_count + c.rn \
                 FROM UNNEST($1, $2, $3) AS c(id, r, rn) WHERE x.id = c.id",
            )
            .bind::<Array<Varchar>, _>(targets.keys().copied().collect::<Vec<_>>())
            .bind::<Array<Integer>, _>(targets.values().map(|t| t.0).collect::<Vec<_>>())
            .bind::<Array<Integer>, _>(targets.values().map(|t| t.1).collect::<Vec<_>>()))
            .execute(conn)
            .await?;
        }
        let jobs: Vec<_> = notes.iter().flat_map(|n| n.jobs.iter().cloned()).collect();
        super::jobs::insert(conn, &jobs).await?;
        let mut notices: Vec<NewNotification> = Vec::new();
        for n in notes {
            let about = |notifiee, kind| NewNotification::new(notifiee, &n.row.user_id, kind).note(&n.row.id);
            notices.extend(n.notify.iter().map(|(who, kind)| about(who.as_str(), *kind)));
            if n.notify_watchers {
                let mine = watchers.iter().filter(|(author, _)| *author == n.row.user_id);
                notices.extend(mine.map(|(_, follower)| about(follower.as_str(), "note")));
            }
        }
        let mut notified: HashMap<String, Vec<notifications::Stored>> = HashMap::new();
        for n in notifications::insert(conn, &notices).await? {
            notified.entry(n.note_id.clone().unwrap_or_default()).or_default().push(n);
        }
        let authors: HashMap<&str, &LiteUser> = authors.iter().map(|a| (a.id.as_str(), a)).collect();
        rows.into_iter()
            .map(|note| {
                let author = authors.get(note.user_id.as_str()).copied().cloned();
                // The author's row is locked by the UPDATE above and a note's author must exist.
                let author = author.ok_or(diesel::result::Error::NotFound)?;
                let notified = notified.remove(&note.id).unwrap_or_default();
                Ok(Stored { note, author, notified })
            })
            .collect()
    })
    .await
}
