//! Statements that list notes, and the one statement that reads a page of them with everything
//! their packing needs.
//!
//! A list is written against [`Binds`], which owns the statement's bind slots: `$1` is always
//! the viewer (NULL when anonymous), and every other value goes in through [`Binds::text`] or
//! [`Binds::texts`], which answer its placeholder. No value is written into the text but the
//! page size, a checked integer that shapes the plan: with it and only the bounds given in the
//! text, a prepared statement's generic plan is as good as a custom one.

use super::notes::{columns, NoteRow, COLUMNS};
use super::users::{lite_columns, LiteUser};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text, Timestamptz, Varchar};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

enum Value {
    Text(Option<String>),
    Texts(Vec<String>),
}

/// The bind slots of a statement under construction; `$1` is the viewer.
pub struct Binds {
    values: Vec<Value>,
}

impl Binds {
    /// The viewer's placeholder.
    pub const VIEWER: &'static str = "$1";

    pub fn new(viewer: Option<&str>) -> Self {
        Binds { values: vec![Value::Text(viewer.map(str::to_owned))] }
    }

    fn push(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }

    /// Binds a text value (varchar) and answers its placeholder.
    pub fn text(&mut self, v: impl Into<String>) -> String {
        self.push(Value::Text(Some(v.into())))
    }

    /// Binds a list of texts (text[]) and answers its placeholder.
    pub fn texts(&mut self, v: Vec<String>) -> String {
        self.push(Value::Texts(v))
    }

    fn bind_all<'f>(self, mut q: BoxedSqlQuery<'f, Pg, SqlQuery>) -> BoxedSqlQuery<'f, Pg, SqlQuery> {
        for v in self.values {
            q = match v {
                Value::Text(t) => q.bind::<Nullable<Varchar>, _>(t),
                Value::Texts(t) => q.bind::<Array<Text>, _>(t),
            };
        }
        q
    }
}

/// The range and order of a page of rows keyed by an aid `id`, and its size (1–100, written
/// into statements' text).
#[derive(Clone, Debug)]
pub struct Bounds {
    pub lower: Option<String>,
    pub upper: Option<String>,
    /// Only a lower bound given: oldest first, as Misskey answers such queries.
    pub ascending: bool,
    pub limit: i64,
}

impl Bounds {
    /// `ORDER BY` direction.
    pub fn dir(&self) -> &'static str {
        if self.ascending {
            "ASC"
        } else {
            "DESC"
        }
    }

    /// Binds the bounds given; the answer writes them on any alias.
    pub fn bind(&self, binds: &mut Binds) -> Range {
        Range {
            lower: self.lower.clone().map(|v| binds.text(v)),
            upper: self.upper.clone().map(|v| binds.text(v)),
        }
    }
}

/// The placeholders of a page's bounds.
pub struct Range {
    lower: Option<String>,
    upper: Option<String>,
}

impl Range {
    /// The bounds on `{a}.id`, written only when given: a prepared statement's generic plan can
    /// then use them as index bounds.
    pub fn on(&self, a: &str) -> String {
        match (&self.lower, &self.upper) {
            (Some(l), Some(u)) => format!("{a}.id > {l} AND {a}.id < {u}"),
            (Some(l), None) => format!("{a}.id > {l}"),
            (None, Some(u)) => format!("{a}.id < {u}"),
            (None, None) => "true".into(),
        }
    }
}

/// A list of notes (rows of [`COLUMNS`]) and its binds.
pub struct List {
    pub sql: String,
    pub binds: Binds,
}

/// Inside a page statement: the users the viewer never sees in lists (its CTE `excl` holds the
/// viewer's exclusions, see [`List::page`]).
pub const EXCLUDED: &str = "(SELECT ex FROM excl)::text[]";
/// Inside a page statement: the users whose renotes the viewer mutes.
pub const RENOTE_MUTED: &str = "(SELECT rm FROM excl)::text[]";

/// A row of a page statement: a note with everything its packing needs.
#[derive(QueryableByName, Clone)]
pub struct PackRow {
    #[diesel(embed)]
    pub note: NoteRow,
    #[diesel(embed)]
    pub author: LiteUser,
    /// A reply or renote target of the page's notes, not one of them.
    #[diesel(sql_type = Bool)]
    pub nested: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub my_reaction: Option<String>,
    /// Whether the viewer follows the author (asked only of followers-only notes).
    #[diesel(sql_type = Bool)]
    pub followed: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub poll_expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub poll_multiple: Option<bool>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    pub poll_choices: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Array<Integer>>)]
    pub poll_votes: Option<Vec<i32>>,
    /// The choices the viewer voted for.
    #[diesel(sql_type = Array<Integer>)]
    pub my_votes: Vec<i32>,
    /// The note's drive files as a JSON array of rows, in the note's order (when it has any).
    #[diesel(sql_type = Nullable<Text>)]
    pub files: Option<String>,
    /// A remote note's custom emoji, `{name: url}` as JSON (when it uses any).
    #[diesel(sql_type = Nullable<Text>)]
    pub emoji_urls: Option<String>,
    /// Other servers' custom emoji among the reactions, `{"name@host": url}` as JSON.
    #[diesel(sql_type = Nullable<Text>)]
    pub reaction_emoji_urls: Option<String>,
}

impl List {
    /// The notes with these ids (any order).
    pub fn by_ids(viewer: Option<&str>, ids: &[String]) -> List {
        let mut binds = Binds::new(viewer);
        let ids = binds.texts(ids.to_vec());
        List { sql: format!("SELECT {} FROM notes WHERE id = ANY({ids})", *COLUMNS), binds }
    }

    /// The one statement that reads a page: the list's notes, their reply and renote targets
    /// (one level deep, as Misskey's `detail` packing does), and for every note its author, the
    /// viewer's reaction and poll votes, the poll, and whether the viewer follows a
    /// followers-only note's author. `exclusions` is the viewer's exclusions as one row
    /// (`ex`, `rm`), which the list reads through [`EXCLUDED`] and [`RENOTE_MUTED`].
    pub fn page(self, exclusions: &str) -> Statement {
        let sql = format!(
            "WITH excl AS MATERIALIZED ({exclusions}), page AS MATERIALIZED ({list}), \
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
                 ELSE '{{}}'::int[] END AS my_votes, \
               CASE WHEN r.file_ids <> '{{}}' THEN (SELECT json_agg(f ORDER BY array_position(r.file_ids, f.id))::text \
                 FROM drive_files f WHERE f.id = ANY(r.file_ids)) END AS files, \
               CASE WHEN r.user_host IS NOT NULL AND r.emojis <> '{{}}' THEN (SELECT json_object_agg(e.name, \
                 CASE WHEN e.public_url = '' THEN e.original_url ELSE e.public_url END)::text \
                 FROM emojis e WHERE e.host = r.user_host AND e.name = ANY(r.emojis)) END AS emoji_urls, \
               CASE WHEN r.reactions::text LIKE '%@%' THEN (SELECT json_object_agg(e.name || '@' || e.host, \
                 CASE WHEN e.public_url = '' THEN e.original_url ELSE e.public_url END)::text \
                 FROM jsonb_object_keys(r.reactions) k JOIN emojis e \
                   ON e.name = substring(k from '^:([A-Za-z0-9_]+)@') AND e.host = substring(k from '@(.+):$')) \
                 END AS reaction_emoji_urls \
             FROM rows r JOIN users u ON u.id = r.user_id LEFT JOIN polls pl ON r.has_poll AND pl.note_id = r.id",
            list = self.sql,
            p = columns("p"),
            t = columns("t"),
            u = lite_columns("u"),
        );
        Statement { sql, binds: self.binds }
    }

    /// The list alone with the viewer's exclusions it reads (for benchmarks that time the list
    /// without the packing).
    pub fn bare(self, exclusions: &str) -> Statement {
        Statement {
            sql: format!("WITH excl AS MATERIALIZED ({exclusions}) SELECT * FROM ({}) l", self.sql),
            binds: self.binds,
        }
    }
}

/// A statement with its binds, ready to run.
pub struct Statement {
    pub sql: String,
    binds: Binds,
}

impl Statement {
    /// The statement as diesel runs it, marked for the prepared-statement cache.
    pub fn query(self) -> super::Cached<BoxedSqlQuery<'static, Pg, SqlQuery>> {
        super::cached(self.binds.bind_all(diesel::sql_query(self.sql).into_boxed()))
    }

    /// Reads the page.
    pub async fn load(self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<Vec<PackRow>> {
        self.query().load(conn).await
    }
}

/// Applies page bounds to a boxed diesel query over a table keyed by an aid `id`: the range and
/// the order (the caller adds `.limit(b.limit)`).
macro_rules! paginate {
    ($q:expr, $id:expr, $b:expr) => {{
        let mut q = $q;
        if let Some(lo) = &$b.lower {
            q = q.filter($id.gt(lo));
        }
        if let Some(hi) = &$b.upper {
            q = q.filter($id.lt(hi));
        }
        if $b.ascending {
            q.order($id.asc())
        } else {
            q.order($id.desc())
        }
    }};
}
pub(crate) use paginate;
