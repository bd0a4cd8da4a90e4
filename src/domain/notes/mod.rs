//! Creating and deleting notes: visibility rules for replies and renotes, mentions, hashtags and
//! emoji found by the MFM engine, counters, and the notifications a note causes.

pub mod writer;

pub use writer::{Stored, Writer};

use super::notify::{self, Notice};
use super::visibility;
use crate::api::pack::notes::NoteRow;
use crate::api::ApiError;
use crate::db::schema::{following, notes, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Varchar;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

pub const VISIBILITIES: [&str; 4] = ["public", "home", "followers", "specified"];
pub const REACTION_ACCEPTANCES: [&str; 4] =
    ["likeOnly", "likeOnlyForRemote", "nonSensitiveOnly", "nonSensitiveOnlyForLocalLikeOnlyForRemote"];

pub struct NewPoll {
    pub choices: Vec<String>,
    pub multiple: bool,
    pub expires_at: Option<DateTime<Utc>>,
}

pub struct NewNote {
    pub text: Option<String>,
    pub cw: Option<String>,
    pub visibility: String,
    pub visible_user_ids: Vec<String>,
    pub local_only: bool,
    pub reply_id: Option<String>,
    pub renote_id: Option<String>,
    pub poll: Option<NewPoll>,
    pub reaction_acceptance: Option<String>,
}

fn e(code: &'static str, id: &'static str, msg: &str) -> ApiError {
    ApiError::client(code, id, msg)
}

pub(crate) fn no_renote_target() -> ApiError {
    e("NO_SUCH_RENOTE_TARGET", "b5c90186-4ab0-49c8-9bba-a1f76c282ba4", "No such renote target.")
}

pub(crate) fn no_reply_target() -> ApiError {
    e("NO_SUCH_REPLY_TARGET", "749ee0f6-d3da-459a-bf02-282e2da4292c", "No such reply target.")
}

/// Local users mentioned in the text (`@name` or `@name@this.host`), by id, at most once each.
async fn mentioned(
    conn: &mut AsyncPgConnection,
    local_host: &str,
    nodes: &[crate::mfm::Node],
) -> Result<Vec<String>, ApiError> {
    let mut names: Vec<String> = crate::mfm::extract::extract_mentions(nodes)
        .into_iter()
        .filter(|m| m.host.as_deref().is_none_or(|h| h.eq_ignore_ascii_case(local_host)))
        .map(|m| m.username.to_lowercase())
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(vec![]);
    }
    Ok(users::table
        .filter(users::username_lower.eq_any(&names).and(users::host.is_null()))
        .filter(users::is_suspended.eq(false))
        .select(users::id)
        .load(conn)
        .await?)
}

/// Creates a local note by `author`. Everything is checked before anything is written; the
/// note itself is stored by the [`Writer`], together with the notes created at the same time.
pub async fn create(
    conn: &mut AsyncPgConnection,
    writer: &Writer,
    local_host: &str,
    author: &str,
    mention_limit: u32,
    mut n: NewNote,
) -> Result<Stored, ApiError> {
    let renote = match &n.renote_id {
        None => None,
        Some(id) => {
            Some(visibility::visible_note(conn, Some(author), id).await?.ok_or_else(no_renote_target)?)
        }
    };
    let reply = match &n.reply_id {
        None => None,
        Some(id) => {
            Some(visibility::visible_note(conn, Some(author), id).await?.ok_or_else(no_reply_target)?)
        }
    };
    let is_quote = n.text.is_some() || n.cw.is_some() || n.poll.is_some();
    if let Some(r) = &renote {
        if r.is_pure_renote() && !is_quote {
            return Err(e(
                "CANNOT_RENOTE_TO_A_PURE_RENOTE",
                "fd4cc33e-2a37-48dd-99cc-9b806eb2031a",
                "You can not renote a pure renote.",
            ));
        }
        match r.visibility.as_str() {
            "home" if n.visibility == "public" => n.visibility = "home".into(),
            "followers" if r.user_id != author => {
                return Err(e(
                    "CANNOT_RENOTE_DUE_TO_VISIBILITY",
                    "be9529e9-fe72-4de0-ae43-0b363c4938af",
                    "You can not renote this note due to its visibility.",
                ))
            }
            "followers" => n.visibility = "followers".into(),
            "specified" => {
                return Err(e(
                    "CANNOT_RENOTE_DUE_TO_VISIBILITY",
                    "be9529e9-fe72-4de0-ae43-0b363c4938af",
                    "You can not renote this note due to its visibility.",
                ))
            }
            _ => {}
        }
        if r.user_id != author && visibility::blocks(conn, &r.user_id, author).await? {
            return Err(e(
                "YOU_HAVE_BEEN_BLOCKED",
                "b390d7e1-8a5e-46ed-b625-06271cafd3d3",
                "You have been blocked by this user.",
            ));
        }
        if r.local_only {
            n.local_only = true;
        }
    }
    if let Some(r) = &reply {
        if r.is_pure_renote() {
            return Err(e(
                "CANNOT_REPLY_TO_A_PURE_RENOTE",
                "3ac74a84-8fd5-4bb0-870f-01804f82ce15",
                "You can not reply to a pure renote.",
            ));
        }
        if r.visibility == "specified" && n.visibility != "specified" {
            return Err(e(
                "CANNOT_REPLY_TO_SPECIFIED_VISIBILITY_NOTE_WITH_EXTENDED_VISIBILITY",
                "ed940410-535c-4d5e-bfa3-af798671e93c",
                "You can not reply to a specified visibility note with extended visibility.",
            ));
        }
        if r.user_id != author && visibility::blocks(conn, &r.user_id, author).await? {
            return Err(e(
                "YOU_HAVE_BEEN_BLOCKED",
                "b390d7e1-8a5e-46ed-b625-06271cafd3d3",
                "You have been blocked by this user.",
            ));
        }
        if r.visibility != "public" && n.visibility == "public" {
            n.visibility = "home".into();
        }
        if r.local_only {
            n.local_only = true;
        }
    }
    if let Some(p) = &n.poll {
        if p.expires_at.is_some_and(|t| t <= Utc::now()) {
            return Err(e(
                "CANNOT_CREATE_ALREADY_EXPIRED_POLL",
                "04da457d-b083-4055-9082-955525eda5a5",
                "Poll is already expired.",
            ));
        }
    }

    // Mentions, hashtags and emoji, as the MFM engine finds them in text and cw.
    let mut nodes = n.text.as_deref().map(crate::mfm::parse).unwrap_or_default();
    nodes.extend(n.cw.as_deref().map(crate::mfm::parse_simple).unwrap_or_default());
    let mut mentions = mentioned(conn, local_host, &nodes).await?;
    if let Some(r) = &reply {
        if r.user_id != author && !mentions.contains(&r.user_id) {
            mentions.push(r.user_id.clone());
        }
    }
    if mentions.len() > mention_limit as usize {
        return Err(e(
            "CONTAINS_TOO_MANY_MENTIONS",
            "4de0363a-3046-481b-9b0f-feff3e211025",
            "Cannot post because it exceeds the allowed number of mentions.",
        ));
    }
    let mut tags = crate::mfm::extract::extract_hashtags(&nodes);
    tags.truncate(100);
    let mut emojis = crate::mfm::extract::extract_emojis(&nodes);
    emojis.truncate(100);
    if n.visibility == "specified" {
        for m in &mentions {
            if !n.visible_user_ids.contains(m) {
                n.visible_user_ids.push(m.clone());
            }
        }
        if let Some(r) = &reply {
            if r.user_id != author && !n.visible_user_ids.contains(&r.user_id) {
                n.visible_user_ids.push(r.user_id.clone());
            }
        }
        if !n.visible_user_ids.is_empty() {
            let found: i64 =
                users::table.filter(users::id.eq_any(&n.visible_user_ids)).count().get_result(conn).await?;
            if found != n.visible_user_ids.len() as i64 {
                return Err(ApiError::invalid_param("visibleUserIds", "contains a user that does not exist"));
            }
        }
    } else {
        n.visible_user_ids.clear();
    }

    let thread_id = reply.as_ref().map(|r| r.thread_id.clone().unwrap_or_else(|| r.id.clone()));
    let pure_renote = renote.is_some() && !is_quote;
    let stored = writer
        .write(writer::Insert {
            id: crate::id::gen(),
            created_at: Utc::now(),
            user_id: author.to_string(),
            reply_user_id: reply.as_ref().map(|r| r.user_id.clone()),
            renote_user_id: renote.as_ref().map(|r| r.user_id.clone()),
            thread_id,
            search: super::search::document(n.text.as_deref(), n.cw.as_deref()),
            mentions: mentions.clone(),
            tags,
            emojis,
            note: n,
        })
        .await?;
    let row = &stored.note;

    // Notifications: a reply, renote or quote notice wins over a mention of the same user.
    let mut notices: Vec<(String, &str)> = mentions.iter().map(|m| (m.clone(), "mention")).collect();
    let mut push = |who: &str, kind: &'static str| match notices.iter_mut().find(|(u, _)| u == who) {
        Some(slot) => slot.1 = kind,
        None => notices.push((who.to_string(), kind)),
    };
    if let Some(r) = &reply {
        push(&r.user_id, "reply");
    }
    if let Some(r) = &renote {
        push(&r.user_id, if pure_renote { "renote" } else { "quote" });
    }
    // Followers who asked to be told about every note (notify = "normal").
    let watchers: Vec<String> = if reply.is_none() && row.visibility != "specified" {
        following::table
            .filter(following::followee_id.eq(author).and(following::notify.eq("normal")))
            .select(following::follower_id)
            .load(conn)
            .await?
    } else {
        vec![]
    };
    let to: Vec<(&str, &str)> = notices
        .iter()
        .map(|(who, kind)| (who.as_str(), *kind))
        .chain(watchers.iter().map(|w| (w.as_str(), "note")))
        .collect();
    notify::send_to(conn, &Notice::new("", author, "").note(&row.id), &to).await?;
    Ok(stored)
}

/// Deletes a note (and, by cascade, its renotes and replies), keeping the counters right.
pub async fn delete(conn: &mut AsyncPgConnection, note: &NoteRow) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        // Every note that goes with it (replies and renotes, recursively) lowers its author's count.
        diesel::sql_query(
            "WITH RECURSIVE doomed AS ( \
               SELECT id, user_id FROM notes WHERE id = $1 \
               UNION SELECT n.id, n.user_id FROM notes n JOIN doomed d ON n.reply_id = d.id OR n.renote_id = d.id) \
             UPDATE users u SET notes_count = greatest(u.notes_count - c.n, 0) \
             FROM (SELECT user_id, count(*) AS n FROM doomed GROUP BY user_id) c WHERE u.id = c.user_id",
        )
        .bind::<Varchar, _>(&note.id)
        .execute(conn)
        .await?;
        if let Some(r) = &note.reply_id {
            diesel::update(notes::table.find(r))
                .set(notes::replies_count.eq(diesel::dsl::sql::<diesel::sql_types::Integer>("greatest(replies_count - 1, 0)")))
                .execute(conn)
                .await?;
        }
        if let (Some(r), Some(ru)) = (&note.renote_id, &note.renote_user_id) {
            if *ru != note.user_id {
                diesel::update(notes::table.find(r))
                    .set(notes::renote_count.eq(diesel::dsl::sql::<diesel::sql_types::Integer>("greatest(renote_count - 1, 0)")))
                    .execute(conn)
                    .await?;
            }
        }
        diesel::delete(notes::table.find(&note.id)).execute(conn).await?;
        Ok(())
    })
    .await
}
