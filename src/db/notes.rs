//! Note rows. One list of the note columns makes the row type ([`NoteRow`]), the column list of
//! raw statements ([`COLUMNS`], [`columns`]), the writer's row ([`NewNoteRow`]) and its
//! multi-row INSERT ([`insert_sql`], [`bind_new_rows`]): a column added here is read and
//! written everywhere.

use super::schema::notes;
use chrono::{DateTime, Utc};
use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, Bool, Jsonb, Nullable, Text, Timestamptz, Varchar};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::LazyLock;

/// How a written column travels in the writer's multi-row INSERT: as one array bound for all
/// rows of the batch, unpacked by `UNNEST`. UNNEST cannot take an array of arrays, so list
/// columns travel as JSON text and are turned back into arrays by [`Unnest::expr`].
pub trait Unnest {
    type Sql;
    type Value;
    fn value(&self) -> Self::Value;
    /// The SELECT expression that makes the stored value of UNNEST's column `t.{col}`.
    fn expr(col: &str) -> String {
        format!("t.{col}")
    }
}

macro_rules! unnest_as_is {
    ($($ty:ty => $sql:ty),*) => {$(
        impl Unnest for $ty {
            type Sql = $sql;
            type Value = $ty;
            fn value(&self) -> $ty {
                self.clone()
            }
        }
    )*};
}
unnest_as_is!(
    String => Varchar,
    Option<String> => Nullable<Varchar>,
    DateTime<Utc> => Timestamptz,
    bool => Bool
);

impl Unnest for Vec<String> {
    type Sql = Text;
    type Value = String;
    fn value(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "[]".into())
    }
    fn expr(col: &str) -> String {
        format!("ARRAY(SELECT jsonb_array_elements_text(t.{col}::jsonb))")
    }
}

/// The text a note is found by (see `domain::search`), stored as its `tsvector`; empty for none.
#[derive(Clone, Debug, Default)]
pub struct SearchText(pub String);

impl Unnest for SearchText {
    type Sql = Text;
    type Value = String;
    fn value(&self) -> String {
        self.0.clone()
    }
    fn expr(col: &str) -> String {
        format!("CASE WHEN t.{col} = '' THEN NULL ELSE to_tsvector('simple', t.{col}) END")
    }
}

/// Declares the note columns: every column of [`NoteRow`] in order, `=> written` on those the
/// writer stores for a new note, then the columns it writes but no statement reads back.
macro_rules! note_columns {
    (
        $( $(#[$doc:meta])* $name:ident : $ty:ty $(=> $written:ident)? ),* $(,)?
        ; write_only: $( $(#[$wdoc:meta])* $wname:ident : $wty:ty ),* $(,)?
    ) => {
        /// A note as stored.
        #[derive(Queryable, QueryableByName, Selectable, Clone, Debug)]
        #[diesel(table_name = notes)]
        pub struct NoteRow {
            $( $(#[$doc])* pub $name: $ty, )*
        }

        /// The columns of [`NoteRow`], in its order.
        pub const COLUMN_NAMES: &[&str] = &[$(stringify!($name)),*];

        /// What the writer stores of a new note; the other columns take their defaults.
        #[derive(Clone, Debug)]
        pub struct NewNoteRow {
            $( $( #[doc = stringify!($written)] pub $name: $ty, )? )*
            $( $(#[$wdoc])* pub $wname: $wty, )*
        }

        /// The written columns with the expression that stores each from UNNEST's row `t`.
        fn written() -> Vec<(&'static str, String)> {
            vec![
                $( $( (stringify!($name), { let _ = stringify!($written); <$ty as Unnest>::expr(stringify!($name)) }), )? )*
                $( (stringify!($wname), <$wty as Unnest>::expr(stringify!($wname))), )*
            ]
        }

        /// Binds the written columns of `rows`, one array each, in the order of [`insert_sql`].
        pub fn bind_new_rows<'f>(
            mut q: BoxedSqlQuery<'f, Pg, SqlQuery>,
            rows: &[&NewNoteRow],
        ) -> BoxedSqlQuery<'f, Pg, SqlQuery> {
            $( $(
                let _ = stringify!($written);
                q = q.bind::<Array<<$ty as Unnest>::Sql>, _>(
                    rows.iter().map(|r| Unnest::value(&r.$name)).collect::<Vec<_>>(),
                );
            )? )*
            $(
                q = q.bind::<Array<<$wty as Unnest>::Sql>, _>(
                    rows.iter().map(|r| Unnest::value(&r.$wname)).collect::<Vec<_>>(),
                );
            )*
            q
        }
    };
}

note_columns! {
    id: String => written,
    created_at: DateTime<Utc> => written,
    updated_at: Option<DateTime<Utc>>,
    user_id: String => written,
    /// The author's host, copied so lists tell local from remote notes without a join.
    user_host: Option<String> => written,
    reply_id: Option<String> => written,
    renote_id: Option<String> => written,
    /// Authors of the reply and renote targets.
    reply_user_id: Option<String> => written,
    renote_user_id: Option<String> => written,
    thread_id: Option<String> => written,
    text: Option<String> => written,
    cw: Option<String> => written,
    visibility: String => written,
    local_only: bool => written,
    visible_user_ids: Vec<String> => written,
    mentions: Vec<String> => written,
    tags: Vec<String> => written,
    emojis: Vec<String> => written,
    file_ids: Vec<String> => written,
    has_poll: bool => written,
    reaction_acceptance: Option<String> => written,
    reactions: Reactions,
    renote_count: i32,
    replies_count: i32,
    /// The ActivityPub id and page of a remote note.
    uri: Option<String> => written,
    url: Option<String> => written,
    ; write_only:
    search: SearchText,
}

/// The note columns, comma-separated, for raw SQL that must name them.
pub static COLUMNS: LazyLock<String> = LazyLock::new(|| COLUMN_NAMES.join(", "));

/// [`COLUMNS`] of note alias `a`.
pub fn columns(a: &str) -> String {
    COLUMN_NAMES.iter().map(|c| format!("{a}.{c}")).collect::<Vec<_>>().join(", ")
}

/// The writer's INSERT of a batch of [`NewNoteRow`]s (binds from [`bind_new_rows`]), returning
/// the stored rows.
pub fn insert_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let cols = written();
        let names = cols.iter().map(|c| c.0).collect::<Vec<_>>().join(", ");
        let exprs = cols.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join(", ");
        let binds = (1..=cols.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        format!(
            "INSERT INTO notes ({names}) SELECT {exprs} FROM UNNEST({binds}) AS t({names}) RETURNING {}",
            *COLUMNS
        )
    });
    &SQL
}

/// A note's reactions (`{"👍": 2, ":blob@.:": 1}`) as the JSON text PostgreSQL sends, written
/// out as it came, with their total: packing never needs the map itself, and building one per
/// note was a tenth of a timeline page's server time.
#[derive(FromSqlRow, Debug, Clone)]
pub struct Reactions {
    pub json: Box<RawValue>,
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
                    total = total.saturating_add(n);
                }
                Ok(Total(total))
            }
        }
        d.deserialize_map(Sum)
    }
}

pub async fn load_one(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<NoteRow>> {
    notes::table.find(id).select(NoteRow::as_select()).first(conn).await.optional()
}

/// The note with this ActivityPub id (remote notes).
pub async fn by_uri(conn: &mut AsyncPgConnection, uri: &str) -> QueryResult<Option<NoteRow>> {
    notes::table.filter(notes::uri.eq(uri)).select(NoteRow::as_select()).first(conn).await.optional()
}
