//! Reactions: what a requested reaction becomes, one reaction per user and note, the note's
//! reaction map kept equal to the rows, and the notification it causes. notes/reactions/* use
//! it now; incoming `Like`/`EmojiReact` activities will too.

use super::events::{emit, Event, NoteChange};
use super::notify::{self, Notice};
use super::visibility;
use super::{Error, Refusal};
use crate::db::notes as db_notes;
use crate::db::schema::{note_reactions, notes};
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Varchar};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// What any reaction becomes where a specific one cannot be kept (Misskey's like).
pub const FALLBACK: &str = "\u{2764}";

/// A reaction as clients see it: local custom emoji as `:name@.:` (how they are stored).
pub fn key(r: &str) -> String {
    if r.starts_with(':') && r.ends_with(':') && !r.contains('@') && r.len() > 2 {
        format!("{}@.:", &r[..r.len() - 1])
    } else {
        r.to_string()
    }
}

/// What a requested Unicode reaction becomes: a single Unicode emoji stays (without variation
/// selectors), anything else becomes the fallback heart; `likeOnly` notes take only the heart.
/// Custom emoji (`:name:`) are decided by `emoji::reaction`.
pub fn normalize(r: &str, acceptance: Option<&str>) -> String {
    if acceptance == Some("likeOnly") {
        return FALLBACK.into();
    }
    match crate::mfm::parse_simple(r).as_slice() {
        [crate::mfm::Node::UnicodeEmoji { .. }] => {
            let stripped: String = r.chars().filter(|c| *c != '\u{FE0F}').collect();
            if stripped.is_empty() {
                r.to_string()
            } else {
                stripped
            }
        }
        _ => FALLBACK.into(),
    }
}

/// The reaction that `user` has on `note_id` (its row id and reaction), with the note's row
/// locked: the lock serializes reactions to one note, so its map always matches the rows.
async fn locked_existing(
    conn: &mut AsyncPgConnection,
    user: &str,
    note_id: &str,
) -> Result<Option<(String, String)>, Error> {
    let _: String = notes::table.find(note_id).select(notes::id).for_update().first(conn).await?;
    Ok(note_reactions::table
        .filter(note_reactions::user_id.eq(user).and(note_reactions::note_id.eq(note_id)))
        .select((note_reactions::id, note_reactions::reaction))
        .first(conn)
        .await
        .optional()?)
}

async fn bump(conn: &mut AsyncPgConnection, note_id: &str, reaction: &str, by: i32) -> Result<(), Error> {
    crate::db::cached(
        diesel::sql_query(
            "UPDATE notes SET reactions = CASE \
           WHEN coalesce((reactions->>$1)::int, 0) + $3 <= 0 THEN reactions - $1 \
           ELSE jsonb_set(reactions, ARRAY[$1], to_jsonb(coalesce((reactions->>$1)::int, 0) + $3)) END \
         WHERE id = $2",
        )
        .bind::<Text, _>(key(reaction))
        .bind::<Varchar, _>(note_id)
        .bind::<Integer, _>(by),
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn remove(
    conn: &mut AsyncPgConnection,
    user: &str,
    note_id: &str,
    reaction: &str,
) -> Result<(), Error> {
    diesel::delete(
        note_reactions::table
            .filter(note_reactions::user_id.eq(user).and(note_reactions::note_id.eq(note_id))),
    )
    .execute(conn)
    .await?;
    bump(conn, note_id, reaction, -1).await
}

/// `user` reacts to a note with `requested` (normalized first). A different earlier reaction of
/// theirs is replaced; only a first reaction notifies the author.
pub async fn react(
    conn: &mut AsyncPgConnection,
    user: &str,
    note_id: &str,
    requested: &str,
) -> Result<(), Error> {
    let no_note = Refusal::NoSuchNoteToReact;
    let note = db_notes::load_one(conn, note_id).await?.ok_or(no_note)?;
    if note.user_id != user && visibility::blocks(conn, &note.user_id, user).await? {
        return Err(Refusal::BlockedFromReacting.into());
    }
    visibility::visible_note(conn, Some(user), note_id).await?.ok_or(no_note)?;
    if super::notes::is_pure_renote(&note) {
        return Err(Refusal::CannotReactToRenote.into());
    }
    let reacter_host: Option<String> =
        crate::db::schema::users::table.find(user).select(crate::db::schema::users::host).first(conn).await?;
    let acceptance = note.reaction_acceptance.as_deref();
    let like_only = acceptance == Some("likeOnly")
        || (reacter_host.is_some()
            && matches!(acceptance, Some("likeOnlyForRemote" | "nonSensitiveOnlyForLocalLikeOnlyForRemote")));
    let (reaction, emoji_url) = if like_only {
        (FALLBACK.to_string(), None)
    } else if requested.len() > 2 && requested.starts_with(':') && requested.ends_with(':') {
        match super::emoji::reaction(conn, requested, user, reacter_host.as_deref(), acceptance).await? {
            Some((reaction, url)) => (reaction, Some(url)),
            None => (FALLBACK.into(), None),
        }
    } else {
        (normalize(requested, acceptance), None)
    };
    // A local user's reaction to a remote note is sent to its author's server, enqueued with it.
    let tell = reacter_host.is_none() && note.user_host.is_some();
    let replaced = conn
        .transaction::<_, Error, _>(async |conn| {
            let existing = locked_existing(conn, user, &note.id).await?;
            if existing.as_ref().is_some_and(|(_, r)| *r == reaction) {
                return Err(Refusal::AlreadyReacted.into());
            }
            if let Some((_, old)) = &existing {
                remove(conn, user, &note.id, old).await?;
            }
            let id = crate::id::gen();
            if tell {
                let action = super::federation::Action::React {
                    id: id.clone(),
                    user: user.to_string(),
                    note_id: note.id.clone(),
                    reaction: reaction.clone(),
                };
                super::federation::federate(conn, action).await?;
            }
            diesel::insert_into(note_reactions::table)
                .values((
                    note_reactions::id.eq(id),
                    note_reactions::created_at.eq(Utc::now()),
                    note_reactions::user_id.eq(user),
                    note_reactions::note_id.eq(&note.id),
                    note_reactions::reaction.eq(&reaction),
                ))
                .execute(conn)
                .await?;
            bump(conn, &note.id, &reaction, 1).await?;
            Ok(existing.map(|(_, r)| r))
        })
        .await?;
    let updated = |change| Event::NoteUpdated { id: note.id.clone(), change };
    if let Some(old) = replaced.clone() {
        emit(updated(NoteChange::Unreacted { reaction: old, user_id: user.to_string() }));
    }
    emit(updated(NoteChange::Reacted { reaction: reaction.clone(), user_id: user.to_string(), emoji_url }));
    if replaced.is_none() {
        let mut n = Notice::new(&note.user_id, user, "reaction").note(&note.id);
        n.reaction = Some(&reaction);
        notify::send(conn, n).await?;
    }
    Ok(())
}

/// `user` takes their reaction back.
pub async fn unreact(conn: &mut AsyncPgConnection, user: &str, note_id: &str) -> Result<(), Error> {
    let note =
        visibility::visible_note(conn, Some(user), note_id).await?.ok_or(Refusal::NoSuchNoteToUnreact)?;
    let tell = super::federation::is_remote(conn, &note.user_id).await?
        && !super::federation::is_remote(conn, user).await?;
    let reaction = conn
        .transaction::<_, Error, _>(async |conn| match locked_existing(conn, user, note_id).await? {
            None => Err(Refusal::NotReacted.into()),
            Some((like_id, r)) => {
                remove(conn, user, note_id, &r).await?;
                if tell {
                    let action = super::federation::Action::Unreact {
                        id: crate::id::gen(),
                        user: user.to_string(),
                        note_id: note_id.to_string(),
                        reaction: r.clone(),
                        like_id,
                    };
                    super::federation::federate(conn, action).await?;
                }
                Ok(r)
            }
        })
        .await?;
    emit(Event::NoteUpdated {
        id: note_id.to_string(),
        change: NoteChange::Unreacted { reaction, user_id: user.to_string() },
    });
    Ok(())
}

/// The reactions of `users` on `notes`, keyed by (note, user).
pub async fn of_users(
    conn: &mut AsyncPgConnection,
    notes: &[String],
    users: &[String],
) -> Result<std::collections::HashMap<(String, String), String>, Error> {
    if notes.is_empty() || users.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, String, String)> = note_reactions::table
        .filter(note_reactions::note_id.eq_any(notes).and(note_reactions::user_id.eq_any(users)))
        .select((note_reactions::note_id, note_reactions::user_id, note_reactions::reaction))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(n, u, r)| ((n, u), r)).collect())
}
