//! Group commit for new notes. Notes created at the same moment share one transaction: one
//! multi-row INSERT, one UPDATE of their authors' counters and one of their reply and renote
//! targets' counters, and one commit. Each caller waits for the commit that holds its note, so
//! nothing is acknowledged before it is durable; what a batch saves is the per-note commit,
//! statement and round trip, and the wait on a busy author's counter row, which a transaction
//! per note holds until its commit is flushed.
//!
//! One task writes the batches in turn, over a connection pool of its own: callers hold a
//! request connection while they wait, so the writer must never wait for one of those. A batch
//! that fails (a reply target deleted in the meantime, say) is written again note by note, so
//! each caller gets the outcome of its own note.

use super::NewNote;
use crate::api::pack::notes::{NoteRow, COLUMNS};
use crate::api::pack::users::{lite_columns, LiteUser};
use crate::api::ApiError;
use crate::db::schema::polls;
use crate::db::DbPool;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text, Timestamptz, Varchar};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most notes in one transaction.
const MAX_BATCH: usize = 128;

/// A note that passed every check of [`super::create`], ready to store.
pub struct Insert {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub user_id: String,
    /// What the author asked for; its `reply_id` and `renote_id` name notes that exist.
    pub note: NewNote,
    /// Authors of the reply and renote targets.
    pub reply_user_id: Option<String>,
    pub renote_user_id: Option<String>,
    pub thread_id: Option<String>,
    pub mentions: Vec<String>,
    pub tags: Vec<String>,
    pub emojis: Vec<String>,
    /// The search document (see `domain::search`); empty for none.
    pub search: String,
}

/// A stored note and its author as the same transaction left them (counters and last activity
/// included), so the note can be answered without reading either again.
pub struct Stored {
    pub note: NoteRow,
    pub author: LiteUser,
}

struct Job {
    note: Insert,
    done: oneshot::Sender<Result<Stored, ApiError>>,
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
    pub async fn write(&self, note: Insert) -> Result<Stored, ApiError> {
        let stopped = || ApiError::unavailable("note writer stopped");
        let (done, rx) = oneshot::channel();
        self.tx.send(Job { note, done }).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

async fn run(db: Arc<DbPool>, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        write_batch(&db, std::mem::take(&mut jobs)).await;
    }
}

async fn write_batch(db: &DbPool, jobs: Vec<Job>) {
    let notes: Vec<&Insert> = jobs.iter().map(|j| &j.note).collect();
    let first = match db.get().await {
        Ok(mut conn) => insert(&mut conn, &notes).await.map_err(note_error),
        Err(e) => Err(ApiError::from(e)),
    };
    drop(notes);
    let e = match first {
        Ok(stored) => {
            let mut by_id: HashMap<String, Stored> =
                stored.into_iter().map(|s| (s.note.id.clone(), s)).collect();
            for j in jobs {
                let row = by_id.remove(&j.note.id).ok_or_else(|| ApiError::internal("note not returned"));
                let _ = j.done.send(row);
            }
            return;
        }
        Err(e) => e,
    };
    // Nothing of the batch is stored. Write its notes again one by one, on a fresh connection
    // (the failure may have been the connection: PostgreSQL restarted), so that each caller
    // gets the outcome of its own note.
    tracing::debug!(error = %e.message, notes = jobs.len(), "note batch failed; writing its notes one by one");
    let mut conn = db.get().await.map_err(ApiError::from);
    for j in jobs {
        let row = match &mut conn {
            Ok(conn) => insert(conn, &[&j.note]).await.map_err(note_error).and_then(|stored| {
                stored.into_iter().next().ok_or_else(|| ApiError::internal("note not returned"))
            }),
            Err(e) => Err(e.clone()),
        };
        let _ = j.done.send(row);
    }
}

/// A reply or renote target deleted after the checks of [`super::create`] is the caller's
/// problem (the same error as if it had been gone before), anything else the server's.
fn note_error(e: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    if let Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) = &e {
        match info.constraint_name() {
            Some("notes_reply_id_fkey") => return super::no_reply_target(),
            Some("notes_renote_id_fkey") => return super::no_renote_target(),
            _ => {}
        }
    }
    e.into()
}

/// JSON text of a list, for the array columns: UNNEST cannot take an array of arrays.
fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).expect("strings serialize")
}

/// Stores the notes, their polls and the counters they change, in one transaction.
async fn insert(
    conn: &mut AsyncPgConnection,
    notes: &[&Insert],
) -> Result<Vec<Stored>, diesel::result::Error> {
    fn col<T>(notes: &[&Insert], f: impl Fn(&Insert) -> T) -> Vec<T> {
        notes.iter().map(|n| f(n)).collect()
    }
    // Counters, summed per row and in id order.
    let mut authors: BTreeMap<&str, (i32, DateTime<Utc>)> = BTreeMap::new();
    let mut targets: BTreeMap<&str, (i32, i32)> = BTreeMap::new();
    for n in notes {
        let a = authors.entry(&n.user_id).or_insert((0, n.created_at));
        a.0 += 1;
        a.1 = a.1.max(n.created_at);
        if let Some(id) = &n.note.reply_id {
            targets.entry(id).or_default().0 += 1;
        }
        if let (Some(id), Some(user)) = (&n.note.renote_id, &n.renote_user_id) {
            if *user != n.user_id {
                targets.entry(id).or_default().1 += 1;
            }
        }
    }
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        let rows: Vec<NoteRow> = crate::db::cached(diesel::sql_query(format!(
            "INSERT INTO notes (id, created_at, user_id, reply_id, renote_id, reply_user_id, renote_user_id, \
               thread_id, text, cw, visibility, local_only, visible_user_ids, mentions, tags, emojis, has_poll, \
               reaction_acceptance, search) \
             SELECT t.id, t.created_at, t.user_id, t.reply_id, t.renote_id, t.reply_user_id, t.renote_user_id, \
               t.thread_id, t.text, t.cw, t.visibility, t.local_only, \
               ARRAY(SELECT jsonb_array_elements_text(t.visible_user_ids::jsonb)), \
               ARRAY(SELECT jsonb_array_elements_text(t.mentions::jsonb)), \
               ARRAY(SELECT jsonb_array_elements_text(t.tags::jsonb)), \
               ARRAY(SELECT jsonb_array_elements_text(t.emojis::jsonb)), \
               t.has_poll, t.reaction_acceptance, \
               CASE WHEN t.search = '' THEN NULL ELSE to_tsvector('simple', t.search) END \
             FROM UNNEST($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
               AS t(id, created_at, user_id, reply_id, renote_id, reply_user_id, renote_user_id, thread_id, text, \
                    cw, visibility, local_only, visible_user_ids, mentions, tags, emojis, has_poll, \
                    reaction_acceptance, search) \
             RETURNING {COLUMNS}"
        ))
        .bind::<Array<Varchar>, _>(col(notes, |n| n.id.clone()))
        .bind::<Array<Timestamptz>, _>(col(notes, |n| n.created_at))
        .bind::<Array<Varchar>, _>(col(notes, |n| n.user_id.clone()))
        .bind::<Array<Nullable<Varchar>>, _>(col(notes, |n| n.note.reply_id.clone()))
        .bind::<Array<Nullable<Varchar>>, _>(col(notes, |n| n.note.renote_id.clone()))
        .bind::<Array<Nullable<Varchar>>, _>(col(notes, |n| n.reply_user_id.clone()))
        .bind::<Array<Nullable<Varchar>>, _>(col(notes, |n| n.renote_user_id.clone()))
        .bind::<Array<Nullable<Varchar>>, _>(col(notes, |n| n.thread_id.clone()))
        .bind::<Array<Nullable<Text>>, _>(col(notes, |n| n.note.text.clone()))
        .bind::<Array<Nullable<Varchar>>, _>(col(notes, |n| n.note.cw.clone()))
        .bind::<Array<Varchar>, _>(col(notes, |n| n.note.visibility.clone()))
        .bind::<Array<Bool>, _>(col(notes, |n| n.note.local_only))
        .bind::<Array<Text>, _>(col(notes, |n| json_list(&n.note.visible_user_ids)))
        .bind::<Array<Text>, _>(col(notes, |n| json_list(&n.mentions)))
        .bind::<Array<Text>, _>(col(notes, |n| json_list(&n.tags)))
        .bind::<Array<Text>, _>(col(notes, |n| json_list(&n.emojis)))
        .bind::<Array<Bool>, _>(col(notes, |n| n.note.poll.is_some()))
        .bind::<Array<Nullable<Varchar>>, _>(col(notes, |n| n.note.reaction_acceptance.clone()))
        .bind::<Array<Text>, _>(col(notes, |n| n.search.clone())))
        .load(conn)
        .await?;
        let new_polls: Vec<_> = notes
            .iter()
            .filter_map(|n| n.note.poll.as_ref().map(|p| (n, p)))
            .map(|(n, p)| {
                (
                    polls::note_id.eq(&n.id),
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
        .bind::<Array<Timestamptz>, _>(authors.values().map(|a| a.1).collect::<Vec<_>>()))
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
        let authors: HashMap<&str, &LiteUser> = authors.iter().map(|a| (a.id.as_str(), a)).collect();
        rows.into_iter()
            .map(|note| {
                let author = authors.get(note.user_id.as_str()).copied().cloned();
                // The author's row is locked by the UPDATE above and a note's author must exist.
                let author = author.ok_or(diesel::result::Error::NotFound)?;
                Ok(Stored { note, author })
            })
            .collect()
    })
    .await
}
