//! Note, as misskey-js defines it: the top-level notes carry their reply and renote packed one
//! level deep (as Misskey's `detail` packing does). One statement reads a page with its
//! targets, authors, the caller's reactions and votes, polls and follow state
//! (`db::page::List::page`), and the JSON is written from its rows.

use super::iso;
use super::users::{EmptyMap, UserLite};
use crate::api::ApiError;
use crate::db::page::{List, PackRow};
use crate::domain::{timelines, visibility};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;

pub use crate::db::notes::NoteRow;

/// The order of a page's notes.
pub enum Order<'a> {
    Newest,
    Oldest,
    /// As these ids are listed.
    Given(&'a [String]),
}

/// A packed Note, written straight from the rows of a packing statement.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note<'a> {
    id: &'a str,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
    user_id: &'a str,
    user: UserLite<'a>,
    text: Option<&'a str>,
    cw: Option<&'a str>,
    visibility: &'a str,
    local_only: bool,
    reaction_acceptance: Option<&'a str>,
    renote_count: i32,
    replies_count: i32,
    reaction_count: i64,
    reactions: &'a RawValue,
    reaction_emojis: JsonMap,
    emojis: JsonMap,
    file_ids: &'a [String],
    files: Vec<Value>,
    reply_id: Option<&'a str>,
    renote_id: Option<&'a str>,
    clipped_count: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_hidden: bool,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    mentions: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    visible_user_ids: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    has_poll: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    poll: Option<Poll<'a>>,
    /// Present for a signed-in viewer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    my_reaction: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<Box<Note<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    renote: Option<Box<Note<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Poll<'a> {
    multiple: bool,
    expires_at: Option<String>,
    choices: Vec<Choice<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Choice<'a> {
    text: &'a str,
    votes: i32,
    is_voted: bool,
}

/// A JSON object the packing statement wrote (`{}` when it wrote none).
struct JsonMap(Option<Box<RawValue>>);

impl JsonMap {
    fn of(text: Option<&str>) -> Self {
        JsonMap(text.and_then(|t| RawValue::from_string(t.to_string()).ok()))
    }
}

impl Serialize for JsonMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(raw) => raw.serialize(s),
            None => EmptyMap.serialize(s),
        }
    }
}

/// A note's files as others see them (files deleted since are left out, as Misskey does).
fn files_of(r: &PackRow) -> Vec<Value> {
    let Some(json) = &r.files else { return vec![] };
    match serde_json::from_str::<Vec<crate::db::drive::FileRow>>(json) {
        Ok(rows) => rows
            .iter()
            .map(|f| super::drive::file(f, super::drive::FileOpts::default(), None, None))
            .collect(),
        Err(e) => {
            tracing::error!(note = %r.note.id, error = %e, "note files unreadable");
            vec![]
        }
    }
}

fn render<'a>(base: &str, me: Option<&str>, r: &'a PackRow) -> Note<'a> {
    let n = &r.note;
    let visible = visibility::can_see(n, me, r.followed);
    let poll = match (&r.poll_choices, visible) {
        (Some(choices), true) => Some(Poll {
            multiple: r.poll_multiple.unwrap_or(false),
            expires_at: r.poll_expires_at.map(iso),
            choices: choices
                .iter()
                .enumerate()
                .map(|(i, text)| Choice {
                    text,
                    votes: r.poll_votes.as_ref().and_then(|v| v.get(i)).copied().unwrap_or(0),
                    is_voted: r.my_votes.contains(&(i as i32)),
                })
                .collect(),
        }),
        _ => None,
    };
    Note {
        id: &n.id,
        created_at: iso(n.created_at),
        updated_at: n.updated_at.map(iso),
        user_id: &n.user_id,
        user: UserLite::new(base, &r.author),
        text: n.text.as_deref().filter(|_| visible),
        cw: n.cw.as_deref().filter(|_| visible),
        visibility: &n.visibility,
        local_only: n.local_only,
        reaction_acceptance: n.reaction_acceptance.as_deref(),
        renote_count: n.renote_count,
        replies_count: n.replies_count,
        reaction_count: n.reactions.count,
        reactions: &n.reactions.json,
        reaction_emojis: JsonMap::of(r.reaction_emoji_urls.as_deref()),
        emojis: JsonMap::of(r.emoji_urls.as_deref().filter(|_| visible)),
        file_ids: if visible { &n.file_ids } else { &[] },
        files: if visible { files_of(r) } else { vec![] },
        reply_id: n.reply_id.as_deref(),
        renote_id: n.renote_id.as_deref(),
        clipped_count: 0,
        is_hidden: !visible,
        tags: if visible { &n.tags } else { &[] },
        mentions: if visible { &n.mentions } else { &[] },
        // A hidden note keeps its addressees to itself, as Misskey's hiding does.
        visible_user_ids: (n.visibility == "specified" && visible).then_some(&n.visible_user_ids[..]),
        uri: n.uri.as_deref(),
        url: n.url.as_deref(),
        has_poll: n.has_poll,
        poll,
        my_reaction: me.map(|_| r.my_reaction.as_deref()),
        reply: None,
        renote: None,
    }
}

/// The page's notes in `order`, each with its reply and renote.
pub fn render_page<'a>(base: &str, me: Option<&str>, rows: &'a [PackRow], order: Order) -> Vec<Note<'a>> {
    let by_id: HashMap<&str, &PackRow> = rows.iter().map(|r| (r.note.id.as_str(), r)).collect();
    let mut top: Vec<&PackRow> = rows.iter().filter(|r| !r.nested).collect();
    match order {
        Order::Newest => top.sort_unstable_by(|a, b| b.note.id.cmp(&a.note.id)),
        Order::Oldest => top.sort_unstable_by(|a, b| a.note.id.cmp(&b.note.id)),
        Order::Given(ids) => {
            top = ids.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect();
        }
    }
    let inner = |id: &Option<String>| {
        id.as_deref().and_then(|id| by_id.get(id)).map(|r| Box::new(render(base, me, r)))
    };
    top.into_iter()
        .map(|r| Note {
            reply: inner(&r.note.reply_id),
            renote: inner(&r.note.renote_id),
            ..render(base, me, r)
        })
        .collect()
}

/// Packs the notes with these ids in this order, each with its reply and renote one level deep
/// (ids that do not exist are left out).
pub async fn pack_ids(
    conn: &mut diesel_async::AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    ids: &[String],
) -> Result<Vec<Value>, ApiError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows = timelines::load(conn, List::by_ids(me, ids)).await?;
    Ok(render_page(base, me, &rows, Order::Given(ids))
        .iter()
        .map(|n| serde_json::to_value(n).expect("a Note serialises"))
        .collect())
}

/// Packs a note its author `me` has just written. The writer returned the note and its author
/// from the transaction that stored them, so a note without reply, renote or poll is written
/// from those rows; the others go through the packing statement for their targets and poll.
pub async fn pack_created(
    conn: &mut diesel_async::AsyncPgConnection,
    base: &str,
    me: &str,
    stored: crate::domain::notes::Stored,
) -> Result<Value, ApiError> {
    let n = &stored.note;
    if n.reply_id.is_some() || n.renote_id.is_some() || n.has_poll || !n.file_ids.is_empty() {
        let packed = pack_ids(conn, base, Some(me), std::slice::from_ref(&n.id)).await?;
        return packed.into_iter().next().ok_or_else(|| ApiError::internal("created note not found"));
    }
    // A new note has no reactions or votes yet, and its author sees it whatever its visibility.
    let row = PackRow {
        note: stored.note,
        author: stored.author,
        nested: false,
        my_reaction: None,
        followed: false,
        poll_expires_at: None,
        poll_multiple: None,
        poll_choices: None,
        poll_votes: None,
        my_votes: vec![],
        files: None,
        emoji_urls: None,
        reaction_emoji_urls: None,
    };
    Ok(serde_json::to_value(render(base, Some(me), &row)).expect("a Note serialises"))
}

/// Packs loaded notes in the given order (see [`pack_ids`]).
pub async fn pack(
    conn: &mut diesel_async::AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    rows: &[NoteRow],
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|n| n.id.clone()).collect();
    pack_ids(conn, base, me, &ids).await
}

/// Packs the notes with these ids, keyed by id (ids that do not exist are left out).
pub async fn by_ids(
    conn: &mut diesel_async::AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    ids: &[String],
) -> Result<HashMap<String, Value>, ApiError> {
    let packed = pack_ids(conn, base, me, ids).await?;
    Ok(packed.into_iter().filter_map(|v| Some((v.get("id")?.as_str()?.to_string(), v))).collect())
}
