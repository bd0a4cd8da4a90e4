//! Note, as misskey-js defines it: the top-level notes carry their reply and renote packed one
//! level deep (as Misskey's `detail` packing does). Authors, the caller's reactions, polls and
//! follow state are loaded once per batch.

use super::iso;
use super::users::{self, UserRow};
use crate::api::ApiError;
use crate::db::schema::{note_reactions, notes, poll_votes, polls};
use crate::domain::visibility;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// The columns of [`NoteRow`], for raw SQL that must name them.
pub const COLUMNS: &str =
    "id, created_at, updated_at, user_id, user_host, reply_id, renote_id, reply_user_id, \
    renote_user_id, thread_id, text, cw, visibility, local_only, visible_user_ids, mentions, tags, emojis, \
    file_ids, has_poll, reaction_acceptance, reactions, renote_count, replies_count, uri, url";

#[derive(Queryable, QueryableByName, Selectable, Clone, Debug)]
#[diesel(table_name = notes)]
pub struct NoteRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub user_id: String,
    pub user_host: Option<String>,
    pub reply_id: Option<String>,
    pub renote_id: Option<String>,
    pub reply_user_id: Option<String>,
    pub renote_user_id: Option<String>,
    pub thread_id: Option<String>,
    pub text: Option<String>,
    pub cw: Option<String>,
    pub visibility: String,
    pub local_only: bool,
    pub visible_user_ids: Vec<String>,
    pub mentions: Vec<String>,
    pub tags: Vec<String>,
    pub emojis: Vec<String>,
    pub file_ids: Vec<String>,
    pub has_poll: bool,
    pub reaction_acceptance: Option<String>,
    pub reactions: Value,
    pub renote_count: i32,
    pub replies_count: i32,
    pub uri: Option<String>,
    pub url: Option<String>,
}

impl NoteRow {
    /// A renote without text, poll or files ("pure renote"), as opposed to a quote.
    pub fn is_pure_renote(&self) -> bool {
        self.renote_id.is_some()
            && self.text.is_none()
            && self.cw.is_none()
            && self.file_ids.is_empty()
            && !self.has_poll
    }
}

pub async fn load(conn: &mut AsyncPgConnection, ids: &[String]) -> Result<Vec<NoteRow>, ApiError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(notes::table.filter(notes::id.eq_any(ids)).select(NoteRow::as_select()).load(conn).await?)
}

pub async fn load_one(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<NoteRow>, ApiError> {
    Ok(notes::table.find(id).select(NoteRow::as_select()).first(conn).await.optional()?)
}

struct Poll {
    expires_at: Option<DateTime<Utc>>,
    multiple: bool,
    choices: Vec<String>,
    votes: Vec<i32>,
}

struct Batch {
    users: HashMap<String, UserRow>,
    my_reactions: HashMap<String, String>,
    polls: HashMap<String, Poll>,
    my_votes: HashSet<(String, i32)>,
    /// Authors the caller follows (for followers-only notes).
    followed: HashSet<String>,
}

fn reaction_count(reactions: &Value) -> i64 {
    reactions.as_object().map(|m| m.values().filter_map(Value::as_i64).sum()).unwrap_or(0)
}

fn render(base: &str, me: Option<&str>, n: &NoteRow, b: &Batch) -> Value {
    let user = b.users.get(&n.user_id).map(|u| users::lite(base, u)).unwrap_or(Value::Null);
    let visible = visibility::can_see(n, me, b.followed.contains(&n.user_id));
    let mut v = json!({
        "id": n.id,
        "createdAt": iso(n.created_at),
        "userId": n.user_id,
        "user": user,
        "text": if visible { n.text.clone() } else { None },
        "cw": if visible { n.cw.clone() } else { None },
        "visibility": n.visibility,
        "localOnly": n.local_only,
        "reactionAcceptance": n.reaction_acceptance,
        "renoteCount": n.renote_count,
        "repliesCount": n.replies_count,
        "reactionCount": reaction_count(&n.reactions),
        "reactions": n.reactions,
        "reactionEmojis": {},
        "emojis": {},
        "fileIds": if visible { n.file_ids.clone() } else { vec![] },
        "files": [],
        "replyId": n.reply_id,
        "renoteId": n.renote_id,
        "clippedCount": 0,
    });
    if !visible {
        v["isHidden"] = json!(true);
    }
    if let Some(t) = n.updated_at {
        v["updatedAt"] = json!(iso(t));
    }
    if !n.tags.is_empty() && visible {
        v["tags"] = json!(n.tags);
    }
    if !n.mentions.is_empty() && visible {
        v["mentions"] = json!(n.mentions);
    }
    if n.visibility == "specified" {
        v["visibleUserIds"] = json!(n.visible_user_ids);
    }
    if let Some(uri) = &n.uri {
        v["uri"] = json!(uri);
    }
    if let Some(url) = &n.url {
        v["url"] = json!(url);
    }
    if n.has_poll {
        v["hasPoll"] = json!(true);
    }
    if let (Some(p), true) = (b.polls.get(&n.id), visible) {
        let choices: Vec<Value> = p
            .choices
            .iter()
            .enumerate()
            .map(|(i, text)| {
                json!({
                    "text": text,
                    "votes": p.votes.get(i).copied().unwrap_or(0),
                    "isVoted": b.my_votes.contains(&(n.id.clone(), i as i32)),
                })
            })
            .collect();
        v["poll"] = json!({ "multiple": p.multiple, "expiresAt": p.expires_at.map(iso), "choices": choices });
    }
    if me.is_some() {
        v["myReaction"] = json!(b.my_reactions.get(&n.id));
    }
    v
}

/// Packs notes in the given order, each with its reply and renote one level deep.
pub async fn pack(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    rows: &[NoteRow],
) -> Result<Vec<Value>, ApiError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let have: HashSet<&str> = rows.iter().map(|n| n.id.as_str()).collect();
    let nested_ids: Vec<String> = rows
        .iter()
        .flat_map(|n| [n.reply_id.clone(), n.renote_id.clone()])
        .flatten()
        .filter(|id| !have.contains(id.as_str()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let nested = load(conn, &nested_ids).await?;
    let all: Vec<&NoteRow> = rows.iter().chain(nested.iter()).collect();
    let batch = load_batch(conn, me, &all).await?;
    let by_id: HashMap<&str, &NoteRow> = all.iter().map(|n| (n.id.as_str(), *n)).collect();
    Ok(rows
        .iter()
        .map(|n| {
            let mut v = render(base, me, n, &batch);
            for (key, id) in [("reply", &n.reply_id), ("renote", &n.renote_id)] {
                if let Some(inner) = id.as_deref().and_then(|id| by_id.get(id)) {
                    v[key] = render(base, me, inner, &batch);
                }
            }
            v
        })
        .collect())
}

async fn load_batch(
    conn: &mut AsyncPgConnection,
    me: Option<&str>,
    all: &[&NoteRow],
) -> Result<Batch, ApiError> {
    let user_ids: Vec<String> =
        all.iter().map(|n| n.user_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let users = users::load(conn, &user_ids).await?;
    // Only notes somebody reacted to can carry the caller's reaction.
    let ids: Vec<String> = all
        .iter()
        .filter(|n| n.reactions.as_object().is_some_and(|m| !m.is_empty()))
        .map(|n| n.id.clone())
        .collect();
    let poll_ids: Vec<String> = all.iter().filter(|n| n.has_poll).map(|n| n.id.clone()).collect();
    let mut my_reactions = HashMap::new();
    let mut my_votes = HashSet::new();
    let mut followed = HashSet::new();
    if let Some(me) = me {
        if !ids.is_empty() {
            my_reactions = note_reactions::table
                .filter(note_reactions::user_id.eq(me).and(note_reactions::note_id.eq_any(&ids)))
                .select((note_reactions::note_id, note_reactions::reaction))
                .load::<(String, String)>(conn)
                .await?
                .into_iter()
                .collect();
        }
        if !poll_ids.is_empty() {
            my_votes = poll_votes::table
                .filter(poll_votes::user_id.eq(me).and(poll_votes::note_id.eq_any(&poll_ids)))
                .select((poll_votes::note_id, poll_votes::choice))
                .load::<(String, i32)>(conn)
                .await?
                .into_iter()
                .collect();
        }
        let authors: Vec<String> = all
            .iter()
            .filter(|n| n.visibility == "followers" && n.user_id != me)
            .map(|n| n.user_id.clone())
            .collect();
        if !authors.is_empty() {
            followed = visibility::followed_among(conn, me, &authors).await?;
        }
    }
    let mut polls_map = HashMap::new();
    if !poll_ids.is_empty() {
        type PollRow = (String, Option<DateTime<Utc>>, bool, Vec<String>, Vec<i32>);
        let rows: Vec<PollRow> = polls::table
            .filter(polls::note_id.eq_any(&poll_ids))
            .select((polls::note_id, polls::expires_at, polls::multiple, polls::choices, polls::votes))
            .load(conn)
            .await?;
        for (id, expires_at, multiple, choices, votes) in rows {
            polls_map.insert(id, Poll { expires_at, multiple, choices, votes });
        }
    }
    Ok(Batch { users, my_reactions, polls: polls_map, my_votes, followed })
}

/// Packs the notes with these ids, keyed by id (ids that do not exist are left out).
pub async fn by_ids(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    ids: &[String],
) -> Result<HashMap<String, Value>, ApiError> {
    let rows = load(conn, ids).await?;
    let packed = pack(conn, base, me, &rows).await?;
    Ok(rows.into_iter().map(|n| n.id).zip(packed).collect())
}
