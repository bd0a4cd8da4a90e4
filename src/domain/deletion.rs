//! Deleting a local account: at once it can no longer sign in or be seen (suspended, tokens
//! revoked, sockets closed) and other servers are told (`Delete` of the actor); what it had —
//! notes, reactions, follows, lists, notifications, its profile — goes in the background, in
//! batches of [`BATCH`] rows, each its own short transaction and followed by a pause as long as
//! it took, so no table is locked for long and requests keep most of the database's time.
//! The user row stays, as on Misskey: its username is never taken again, and its key still
//! signs the Delete.

use super::{Error, Refusal};
use crate::db::schema::{access_tokens, deleted_accounts, user_profiles, users};
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::Varchar;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

/// Rows removed per statement.
pub const BATCH: i64 = 500;

/// Starts deleting `user`'s account. `moderator`: who asks, when it is not the user.
pub async fn request(conn: &mut AsyncPgConnection, user: &str, moderator: Option<&str>) -> Result<(), Error> {
    let (is_root, host, username): (bool, Option<String>, String) = users::table
        .find(user)
        .filter(users::is_system.eq(false))
        .select((users::is_root, users::host, users::username))
        .first(conn)
        .await
        .optional()?
        .ok_or(Error::Refused(Refusal::NoSuchUser))?;
    if is_root {
        return Err(Refusal::CannotDeleteRoot.into());
    }
    if host.is_some() {
        // Remote accounts are deleted by their own server.
        return Err(Refusal::NoSuchUser.into());
    }
    let started = conn
        .transaction::<_, Error, _>(async |conn| {
            let new = diesel::insert_into(deleted_accounts::table)
                .values((deleted_accounts::user_id.eq(user), deleted_accounts::requested_at.eq(Utc::now())))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            if new == 0 {
                return Ok(false);
            }
            diesel::update(users::table.find(user))
                .set((users::is_suspended.eq(true), users::token.eq(None::<String>)))
                .execute(conn)
                .await?;
            diesel::delete(access_tokens::table.filter(access_tokens::user_id.eq(user))).execute(conn).await?;
            // Every remote account that follows it or that it follows hears of it.
            let audience: Vec<String> = diesel::sql_query(
                "SELECT follower_id AS id FROM following WHERE followee_id = $1 AND follower_host IS NOT NULL \
                 UNION SELECT followee_id FROM following WHERE follower_id = $1 AND followee_host IS NOT NULL",
            )
            .bind::<Varchar, _>(user)
            .load::<IdRow>(conn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
            if !audience.is_empty() {
                let action =
                    super::federation::Action::AccountDeleted { id: crate::id::gen(), user: user.into(), audience };
                super::federation::federate(conn, action).await?;
            }
            let job = super::jobs::Job::DeleteAccount { user: user.to_string() };
            super::jobs::enqueue(conn, &[(job, Utc::now())]).await?;
            if let Some(m) = moderator {
                let info = json!({ "userId": user, "userUsername": username, "userHost": null });
                super::moderation::log(conn, m, "deleteAccount", info).await?;
            }
            Ok(true)
        })
        .await?;
    if started {
        crate::db::jobs::wake();
        super::events::emit(super::events::Event::Suspended { user: user.to_string() });
    }
    Ok(())
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Varchar)]
    id: String,
}

/// Whether `user`'s account is deleted or being deleted.
pub async fn is_deleted(conn: &mut AsyncPgConnection, user: &str) -> Result<bool, Error> {
    Ok(deleted_accounts::table.find(user).count().get_result::<i64>(conn).await? > 0)
}

/// Runs one batched statement (`$1` the user, `$2` the batch size) until it changes nothing.
async fn drain(conn: &mut AsyncPgConnection, user: &str, sql: &str) -> Result<u64, Error> {
    let mut total = 0u64;
    loop {
        let began = std::time::Instant::now();
        let n = diesel::sql_query(sql)
            .bind::<Varchar, _>(user)
            .bind::<diesel::sql_types::BigInt, _>(BATCH)
            .execute(conn)
            .await?;
        total += n as u64;
        // (Counted rows may be those updated rather than removed: only nothing means done.)
        if n == 0 {
            return Ok(total);
        }
        // Paced: as long a pause as the batch took, so the server's requests keep at least
        // half of the database's time while an account goes.
        tokio::time::sleep(began.elapsed()).await;
    }
}

/// Removes what a deleted account had, batch by batch (safe to run again after an
/// interruption): its drive files and their stored bytes, then its rows. Returns how many
/// notes went.
pub async fn purge(db: &crate::db::DbPool, drive: &super::drive::Drive, user: &str) -> Result<u64, Error> {
    if !is_deleted(&mut *db.get().await?, user).await? {
        return Ok(0);
    }
    drive.delete_all_of(db, user).await?;
    purge_rows(&mut *db.get().await?, user).await
}

async fn purge_rows(conn: &mut AsyncPgConnection, user: &str) -> Result<u64, Error> {
    // Its reactions, with the counts of the notes they were on.
    drain(
        conn,
        user,
        "WITH gone AS (DELETE FROM note_reactions WHERE id IN \
           (SELECT id FROM note_reactions WHERE user_id = $1 LIMIT $2) RETURNING note_id, reaction) \
         UPDATE notes n SET reactions = CASE \
           WHEN coalesce((n.reactions->>g.reaction)::int, 0) - 1 <= 0 THEN n.reactions - g.reaction \
           ELSE jsonb_set(n.reactions, ARRAY[g.reaction], to_jsonb((n.reactions->>g.reaction)::int - 1)) END \
         FROM gone g WHERE n.id = g.note_id",
    )
    .await?;
    // Its notes (replies to them and renotes of them go with them, as on Misskey).
    let notes = drain(
        conn,
        user,
        "DELETE FROM notes WHERE id IN (SELECT id FROM notes WHERE user_id = $1 ORDER BY id LIMIT $2)",
    )
    .await?;
    // Its follows both ways, with the other side's counts.
    drain(
        conn,
        user,
        "WITH gone AS (DELETE FROM following WHERE id IN \
           (SELECT id FROM following WHERE follower_id = $1 OR followee_id = $1 LIMIT $2) \
           RETURNING follower_id, followee_id), \
         c AS (SELECT id, sum(ers)::int AS ers, sum(ing)::int AS ing FROM \
           (SELECT followee_id AS id, 1 AS ers, 0 AS ing FROM gone \
            UNION ALL SELECT follower_id, 0, 1 FROM gone) x GROUP BY id) \
         UPDATE users u SET followers_count = greatest(u.followers_count - c.ers, 0), \
           following_count = greatest(u.following_count - c.ing, 0) FROM c WHERE u.id = c.id",
    )
    .await?;
    for sql in [
        "DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE notifiee_id = $1 OR notifier_id = $1 LIMIT $2)",
        "DELETE FROM note_favorites WHERE id IN (SELECT id FROM note_favorites WHERE user_id = $1 LIMIT $2)",
        "DELETE FROM poll_votes WHERE id IN (SELECT id FROM poll_votes WHERE user_id = $1 LIMIT $2)",
        "DELETE FROM follow_requests WHERE id IN (SELECT id FROM follow_requests WHERE follower_id = $1 OR followee_id = $1 LIMIT $2)",
        "DELETE FROM mutings WHERE id IN (SELECT id FROM mutings WHERE muter_id = $1 OR mutee_id = $1 LIMIT $2)",
        "DELETE FROM renote_mutings WHERE id IN (SELECT id FROM renote_mutings WHERE muter_id = $1 OR mutee_id = $1 LIMIT $2)",
        "DELETE FROM blockings WHERE id IN (SELECT id FROM blockings WHERE blocker_id = $1 OR blockee_id = $1 LIMIT $2)",
        "DELETE FROM user_list_members WHERE id IN (SELECT id FROM user_list_members WHERE user_id = $1 LIMIT $2)",
        "DELETE FROM user_lists WHERE id IN (SELECT id FROM user_lists WHERE user_id = $1 LIMIT $2)",
        "DELETE FROM access_tokens WHERE id IN (SELECT id FROM access_tokens WHERE user_id = $1 LIMIT $2)",
        "DELETE FROM announcement_reads WHERE (user_id, announcement_id) IN \
           (SELECT user_id, announcement_id FROM announcement_reads WHERE user_id = $1 LIMIT $2)",
        "DELETE FROM announcements WHERE id IN (SELECT id FROM announcements WHERE user_id = $1 LIMIT $2)",
        "DELETE FROM role_assignments WHERE id IN (SELECT id FROM role_assignments WHERE user_id = $1 LIMIT $2)",
    ] {
        drain(conn, user, sql).await?;
    }
    // What the profile said goes; the row stays (its key signs the Delete still under way).
    conn.transaction::<_, Error, _>(async |conn| {
        diesel::update(user_profiles::table.find(user))
            .set((
                user_profiles::description.eq(None::<String>),
                user_profiles::location.eq(None::<String>),
                user_profiles::birthday.eq(None::<String>),
                user_profiles::url.eq(None::<String>),
                user_profiles::email.eq(None::<String>),
                user_profiles::fields.eq(json!([])),
                user_profiles::pinned_note_ids.eq(Vec::<String>::new()),
                user_profiles::password.eq(None::<String>),
            ))
            .execute(conn)
            .await?;
        diesel::update(users::table.find(user))
            .set((
                users::name.eq(None::<String>),
                users::avatar_url.eq(None::<String>),
                users::banner_url.eq(None::<String>),
                users::notes_count.eq(0),
                users::followers_count.eq(0),
                users::following_count.eq(0),
            ))
            .execute(conn)
            .await?;
        diesel::update(deleted_accounts::table.find(user))
            .set(deleted_accounts::finished_at.eq(Utc::now()))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await?;
    Ok(notes)
}
