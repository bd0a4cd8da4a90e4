//! Poll votes: who may vote, on which choice, how often; the vote counts kept equal to the rows.

use super::events::{emit, Event, NoteChange};
use super::visibility;
use super::{Error, Refusal};
use crate::db::schema::{poll_votes, polls};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Text, Varchar};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// `user` votes for choice `choice` (0-based) of the poll on `note_id`.
pub async fn vote(conn: &mut AsyncPgConnection, user: &str, note_id: &str, choice: i32) -> Result<(), Error> {
    let note = visibility::visible_note(conn, Some(user), note_id).await?.ok_or(Refusal::NoSuchNoteToVote)?;
    if note.user_id != user && visibility::blocks(conn, &note.user_id, user).await? {
        return Err(Refusal::BlockedFromVoting.into());
    }
    let poll: Option<(Option<DateTime<Utc>>, bool, Vec<String>)> = polls::table
        .find(&note.id)
        .select((polls::expires_at, polls::multiple, polls::choices))
        .first(conn)
        .await
        .optional()?;
    let Some((expires_at, multiple, choices)) = poll else {
        return Err(Refusal::NoPoll.into());
    };
    if expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(Refusal::PollExpired.into());
    }
    if choice < 0 || choice as usize >= choices.len() {
        return Err(Refusal::InvalidChoice.into());
    }
    conn.transaction::<_, Error, _>(async |conn| {
        // The poll's row lock serializes votes on it, so the counts match the vote rows.
        let _: String = polls::table.find(&note.id).select(polls::note_id).for_update().first(conn).await?;
        let mine: Vec<i32> = poll_votes::table
            .filter(poll_votes::user_id.eq(user).and(poll_votes::note_id.eq(&note.id)))
            .select(poll_votes::choice)
            .load(conn)
            .await?;
        if (!multiple && !mine.is_empty()) || mine.contains(&choice) {
            return Err(Refusal::AlreadyVoted.into());
        }
        diesel::insert_into(poll_votes::table)
            .values((
                poll_votes::id.eq(crate::id::gen()),
                poll_votes::created_at.eq(Utc::now()),
                poll_votes::user_id.eq(user),
                poll_votes::note_id.eq(&note.id),
                poll_votes::choice.eq(choice),
            ))
            .execute(conn)
            .await?;
        crate::db::cached(
            diesel::sql_query("UPDATE polls SET votes[$1] = votes[$1] + 1 WHERE note_id = $2")
                .bind::<Integer, _>(choice + 1)
                .bind::<Varchar, _>(&note.id),
        )
        .execute(conn)
        .await?;
        super::federation::voted(conn, user, &note, choice).await?;
        Ok(())
    })
    .await?;
    emit(Event::NoteUpdated {
        id: note.id,
        change: NoteChange::PollVoted { choice, user_id: user.to_string() },
    });
    Ok(())
}

/// The index of the choice called `name` in the poll on `note_id` (how other servers vote).
pub async fn choice_named(
    conn: &mut AsyncPgConnection,
    note_id: &str,
    name: &str,
) -> Result<Option<i32>, Error> {
    let choices: Option<Vec<String>> =
        polls::table.find(note_id).select(polls::choices).first(conn).await.optional()?;
    Ok(choices.and_then(|c| c.iter().position(|x| x == name)).and_then(|i| i32::try_from(i).ok()))
}

/// Closes polls whose time is up: each is marked once, in the same transaction as its
/// `pollEnded` notifications to the author and every local voter (from the author, as Misskey
/// sends them). `only` limits it to one poll (its job); without it, at most `batch` polls whose
/// time was up before `up_before`, so a backlog is worked off in steps. Returns how many polls
/// it closed. Safe to run in several processes at once (`SKIP LOCKED`); a poll already closed
/// or not yet due is left alone, so running it twice changes nothing.
pub async fn end_expired(
    conn: &mut AsyncPgConnection,
    only: Option<&str>,
    up_before: DateTime<Utc>,
    batch: i64,
) -> Result<usize, Error> {
    #[derive(diesel::QueryableByName)]
    struct Ended {
        #[diesel(sql_type = Varchar)]
        note_id: String,
        #[diesel(sql_type = Varchar)]
        author: String,
        #[diesel(sql_type = Varchar)]
        notifiee: String,
    }
    let (ended, notified) = conn.transaction::<_, Error, _>(async |conn| {
        let rows: Vec<Ended> = crate::db::cached(diesel::sql_query(
            "WITH ended AS ( \
               UPDATE polls SET ended_notified = true WHERE note_id IN ( \
                 SELECT note_id FROM polls WHERE NOT ended_notified AND expires_at IS NOT NULL \
                   AND expires_at <= least(now(), $2) AND ($3::varchar IS NULL OR note_id = $3) \
                   ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
               RETURNING note_id) \
             SELECT e.note_id, n.user_id AS author, n.user_id AS notifiee \
               FROM ended e JOIN notes n ON n.id = e.note_id WHERE n.user_host IS NULL \
             UNION \
             SELECT DISTINCT e.note_id, n.user_id, v.user_id FROM ended e \
               JOIN notes n ON n.id = e.note_id JOIN poll_votes v ON v.note_id = e.note_id \
               JOIN users u ON u.id = v.user_id WHERE u.host IS NULL",
        )
        .bind::<diesel::sql_types::BigInt, _>(batch)
        .bind::<diesel::sql_types::Timestamptz, _>(up_before)
        .bind::<diesel::sql_types::Nullable<Varchar>, _>(only))
        .load(conn)
        .await?;
        if rows.is_empty() {
            return Ok((0, vec![]));
        }
        let ids: Vec<String> = rows.iter().map(|_| crate::id::gen()).collect();
        let col = |f: fn(&Ended) -> &String| rows.iter().map(f).cloned().collect::<Vec<String>>();
        let stored: Vec<crate::db::notifications::Stored> = crate::db::cached(diesel::sql_query(
            "INSERT INTO notifications (id, created_at, notifiee_id, notifier_id, type, note_id) \
             SELECT id, now(), notifiee, author, 'pollEnded', note FROM UNNEST($1, $2, $3, $4) AS t(id, notifiee, author, note) \
             WHERE notification_wanted(notifiee, NULL, 'pollEnded') RETURNING id, notifiee_id, note_id",
        )
        .bind::<Array<Text>, _>(&ids)
        .bind::<Array<Text>, _>(col(|r| &r.notifiee))
        .bind::<Array<Text>, _>(col(|r| &r.author))
        .bind::<Array<Text>, _>(col(|r| &r.note_id)))
        .load(conn)
        .await?;
        Ok((rows.iter().map(|r| &r.note_id).collect::<std::collections::HashSet<_>>().len(), stored))
    })
    .await?;
    super::events::notified(&notified);
    Ok(ended)
}

/// The choices `users` voted for in the polls of `notes`, keyed by (note, user).
pub async fn votes_of_users(
    conn: &mut AsyncPgConnection,
    notes: &[String],
    users: &[String],
) -> Result<std::collections::HashMap<(String, String), Vec<i32>>, Error> {
    let mut out: std::collections::HashMap<(String, String), Vec<i32>> = Default::default();
    if notes.is_empty() || users.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(String, String, i32)> = poll_votes::table
        .filter(poll_votes::note_id.eq_any(notes).and(poll_votes::user_id.eq_any(users)))
        .select((poll_votes::note_id, poll_votes::user_id, poll_votes::choice))
        .load(conn)
        .await?;
    for (n, u, c) in rows {
        out.entry((n, u)).or_default().push(c);
    }
    Ok(out)
}
