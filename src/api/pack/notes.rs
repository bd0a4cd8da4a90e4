//! Note, as misskey-js defines it: the top-level notes carry their reply and renote packed one
//! level deep (as Misskey's `detail` packing does). One statement reads a page with its
//! targets, authors, the caller's reactions and votes, polls and follow state, and the JSON is
//! written from its rows.

use super::iso;
use super::users::{self, EmptyList, EmptyMap, LiteUser, UserLite};
use crate::api::ApiError;
use crate::db::schema::notes;
use crate::domain::visibility;
use chrono::{DateTime, Utc};
use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::pg::PgValue;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::Jsonb;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text, Timestamptz, Varchar};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;

/// The columns of [`NoteRow`], for raw SQL that must name them.
pub const COLUMNS: &str =
    "id, created_at, updated_at, user_id, user_host, reply_id, renote_id, reply_user_id, \
    renote_user_id, thread_id, text, cw, visibility, local_only, visible_user_ids, mentions, tags, emojis, \
    file_ids, has_poll, reaction_acceptance, reactions, renote_count, replies_count, uri, url";

/// [`COLUMNS`] of note alias `a`.
pub fn columns(a: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{a}.{c}")).collect::<Vec<_>>().join(", ")
}

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
    pub reactions: Reactions,
    pub renote_count: i32,
    pub replies_count: i32,
    pub uri: Option<String>,
    pub url: Option<String>,
}

/// A note's reactions (`{"👍": 2, ":blob@.:": 1}`) as the JSON text PostgreSQL sends, written
/// out as it came, with their total: packing never needs the map itself, and building one per
/// note was a tenth of a timeline page's server time.
#[derive(FromSqlRow, Debug, Clone)]
pub struct Reactions {
    json: Box<RawValue>,
    pub count: i64,
}

impl FromSql<Jsonb, Pg> for Reactions {
    fn from_sql(value: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        // Binary jsonb is a version byte (1) and the JSON text.
        let text = match value.as_bytes().split_first() {
            Some((1, text)) => std::str::from_utf8(text)?,
            _ => return Err("unsupported jsonb format".into()),
        };
        let Total(count) = serde_json::from_str(text)?;
        Ok(Reactions { json: RawValue::from_string(text.to_owned())?, count })
    }
}

/// The sum of a JSON object's values, read without building the object.
struct Total(i64);

impl<'de> Deserialize<'de> for Total {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Sum;
        impl<'de> serde::de::Visitor<'de> for Sum {
            type Value = Total;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of reaction counts")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Total, A::Error> {
                let mut total = 0i64;
                while let Some((IgnoredAny, n)) = map.next_entry::<IgnoredAny, i64>()? {
                    total += n;
                }
                Ok(Total(total))
            }
        }
        d.deserialize_map(Sum)
    }
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

pub async fn load_one(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<NoteRow>, ApiError> {
    Ok(notes::table.find(id).select(NoteRow::as_select()).first(conn).await.optional()?)
}

/// A row of a packing statement ([`page_sql`]): a note with everything its packing needs.
#[derive(QueryableByName)]
pub struct PackRow {
    #[diesel(embed)]
    pub note: NoteRow,
    #[diesel(embed)]
    author: LiteUser,
    /// A reply or renote target of the page's notes, not one of them.
    #[diesel(sql_type = Bool)]
    nested: bool,
    #[diesel(sql_type = Nullable<Text>)]
    my_reaction: Option<String>,
    /// Whether the viewer follows the author (asked only of followers-only notes).
    #[diesel(sql_type = Bool)]
    followed: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    poll_expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bool>)]
    poll_multiple: Option<bool>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    poll_choices: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Array<Integer>>)]
    poll_votes: Option<Vec<i32>>,
    /// The choices the viewer voted for.
    #[diesel(sql_type = Array<Integer>)]
    my_votes: Vec<i32>,
}

/// The CTE `excl` of a packing statement: `visibility::exclusions` of viewer `$1`, one row.
pub fn exclusions_cte() -> String {
    format!("excl AS MATERIALIZED ({})", visibility::EXCLUSIONS_SQL)
}

/// The users the viewer never sees in lists, inside a packing statement (its CTE `excl` holds
/// `visibility::exclusions`).
pub const EXCLUDED: &str = "(SELECT ex FROM excl)::text[]";
/// The users whose renotes the viewer mutes, inside a packing statement.
pub const RENOTE_MUTED: &str = "(SELECT rm FROM excl)::text[]";

/// One statement that packs a page: `list` yields the page's notes ([`COLUMNS`]) for viewer `$1`
/// (NULL when anonymous) and may use [`EXCLUDED`] and [`RENOTE_MUTED`]. The statement adds the
/// notes' reply and renote targets (one level deep, as Misskey's `detail` packing does), and
/// for every note its author, the viewer's reaction and poll votes, the poll, and whether the
/// viewer follows a followers-only note's author.
pub fn page_sql(list: &str) -> String {
    format!(
        "WITH {excl}, page AS MATERIALIZED ({list}), \
         rows AS (SELECT {p}, false AS nested FROM page p \
           UNION ALL SELECT {t}, true FROM notes t \
           WHERE t.id IN (SELECT reply_id FROM page UNION SELECT renote_id FROM page) AND t.id NOT IN (SELECT id FROM page)) \
         SELECT r.*, {u}, \
           CASE WHEN $1::varchar IS NOT NULL AND r.reactions <> '{{}}'::jsonb THEN \
             (SELECT x.reaction FROM note_reactions x WHERE x.user_id = $1 AND x.note_id = r.id) END AS my_reaction, \
           ($1::varchar IS NOT NULL AND r.visibility = 'followers' AND r.user_id <> $1 \
             AND EXISTS (SELECT 1 FROM following w WHERE w.follower_id = $1 AND w.followee_id = r.user_id)) AS followed, \
           pl.expires_at AS poll_expires_at, pl.multiple AS poll_multiple, pl.choices AS poll_choices, pl.votes AS poll_votes, \
           CASE WHEN r.has_poll AND $1::varchar IS NOT NULL \
             THEN ARRAY(SELECT v.choice FROM poll_votes v WHERE v.user_id = $1 AND v.note_id = r.id) \
             ELSE '{{}}'::int[] END AS my_votes \
         FROM rows r JOIN users u ON u.id = r.user_id LEFT JOIN polls pl ON r.has_poll AND pl.note_id = r.id",
        p = columns("p"),
        t = columns("t"),
        u = users::lite_columns("u"),
        excl = exclusions_cte(),
    )
}

/// The order of a page's notes.
pub enum Order<'a> {
    Newest,
    Oldest,
    /// As these ids are listed.
    Given(&'a [String]),
}

/// Runs a packing statement (see [`page_sql`]; its binds given) and returns the page's notes in
/// `order`, ready to serialise.
pub async fn load_page(
    conn: &mut AsyncPgConnection,
    q: BoxedSqlQuery<'_, Pg, SqlQuery>,
) -> Result<Vec<PackRow>, ApiError> {
    Ok(crate::db::cached(q).load(conn).await?)
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
    reaction_emojis: EmptyMap,
    emojis: EmptyMap,
    file_ids: &'a [String],
    files: EmptyList,
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
        reaction_emojis: EmptyMap,
        emojis: EmptyMap,
        file_ids: if visible { &n.file_ids } else { &[] },
        files: [],
        reply_id: n.reply_id.as_deref(),
        renote_id: n.renote_id.as_deref(),
        clipped_count: 0,
        is_hidden: !visible,
        tags: if visible { &n.tags } else { &[] },
        mentions: if visible { &n.mentions } else { &[] },
        visible_user_ids: (n.visibility == "specified").then_some(&n.visible_user_ids[..]),
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
    conn: &mut AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    ids: &[String],
) -> Result<Vec<Value>, ApiError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = page_sql(&format!("SELECT {COLUMNS} FROM notes WHERE id = ANY($2)"));
    let q = diesel::sql_query(sql).into_boxed().bind::<Nullable<Varchar>, _>(me).bind::<Array<Text>, _>(ids);
    let rows = load_page(conn, q).await?;
    Ok(render_page(base, me, &rows, Order::Given(ids))
        .iter()
        .map(|n| serde_json::to_value(n).expect("a Note serialises"))
        .collect())
}

/// Packs a note its author `me` has just written. The writer returned the note and its author
/// from the transaction that stored them, so a note without reply, renote or poll is written
/// from those rows; the others go through the packing statement for their targets and poll.
pub async fn pack_created(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: &str,
    stored: crate::domain::notes::Stored,
) -> Result<Value, ApiError> {
    let n = &stored.note;
    if n.reply_id.is_some() || n.renote_id.is_some() || n.has_poll {
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
    };
    Ok(serde_json::to_value(render(base, Some(me), &row)).expect("a Note serialises"))
}

/// Packs loaded notes in the given order (see [`pack_ids`]).
pub async fn pack(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    rows: &[NoteRow],
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|n| n.id.clone()).collect();
    pack_ids(conn, base, me, &ids).await
}

/// Packs the notes with these ids, keyed by id (ids that do not exist are left out).
pub async fn by_ids(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    ids: &[String],
) -> Result<HashMap<String, Value>, ApiError> {
    let packed = pack_ids(conn, base, me, ids).await?;
    Ok(packed.into_iter().filter_map(|v| Some((v.get("id")?.as_str()?.to_string(), v))).collect())
}
