//! The instance settings row (`meta`, one row with id 'x').

use super::schema::meta;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// What the instance tells about itself (meta, NodeInfo).
#[derive(Queryable, Debug, Clone)]
pub struct InstanceRow {
    pub name: Option<String>,
    pub description: Option<String>,
    pub maintainer_name: Option<String>,
    pub maintainer_email: Option<String>,
    pub lang_default: Option<String>,
    pub disable_registration: bool,
    pub root_user_id: Option<String>,
}

/// The settings, or those of an instance not yet set up (registration closed).
pub async fn load(conn: &mut AsyncPgConnection) -> QueryResult<InstanceRow> {
    let row = meta::table
        .filter(meta::id.eq("x"))
        .select((
            meta::name,
            meta::description,
            meta::maintainer_name,
            meta::maintainer_email,
            meta::lang_default,
            meta::disable_registration,
            meta::root_user_id,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.unwrap_or(InstanceRow {
        name: None,
        description: None,
        maintainer_name: None,
        maintainer_email: None,
        lang_default: None,
        disable_registration: true,
        root_user_id: None,
    }))
}

/// The instance's word lists: prohibited, sensitive, prohibited in display names.
pub async fn word_lists(
    conn: &mut AsyncPgConnection,
) -> QueryResult<(Vec<String>, Vec<String>, Vec<String>)> {
    let row = meta::table
        .filter(meta::id.eq("x"))
        .select((meta::prohibited_words, meta::sensitive_words, meta::prohibited_words_for_name_of_user))
        .first(conn)
        .await
        .optional()?;
    Ok(row.unwrap_or_default())
}

/// A digest of the hosts an administrator blocked and silenced, with the lists themselves when
/// the digest is not `known` (one statement: the lists are those the digest was made from).
#[derive(QueryableByName, Default)]
pub struct HostLists {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub digest: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<diesel::sql_types::Text>>)]
    pub blocked: Option<Vec<String>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<diesel::sql_types::Text>>)]
    pub silenced: Option<Vec<String>>,
}

pub async fn host_lists_unless(conn: &mut AsyncPgConnection, known: &str) -> QueryResult<HostLists> {
    let row = diesel::sql_query(
        "SELECT d AS digest, CASE WHEN d = $1 THEN NULL ELSE blocked_hosts END AS blocked, \
                CASE WHEN d = $1 THEN NULL ELSE silenced_hosts END AS silenced \
         FROM (SELECT md5(blocked_hosts::text || '|' || silenced_hosts::text) AS d, blocked_hosts, silenced_hosts \
               FROM meta WHERE id = 'x') m",
    )
    .bind::<diesel::sql_types::Text, _>(known)
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.unwrap_or_default())
}

/// Whether `username` is kept from signing up (compared without case).
pub async fn is_preserved(conn: &mut AsyncPgConnection, username: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        meta::table.filter(meta::id.eq("x")).filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(")
                .bind::<diesel::sql_types::Text, _>(username)
                .sql(") IN (SELECT lower(u) FROM unnest(preserved_usernames) u)"),
        ),
    ))
    .get_result(conn)
    .await
}

/// Every setting of the row as one JSON object keyed by column (`{}` before setup).
pub async fn settings(conn: &mut AsyncPgConnection) -> QueryResult<serde_json::Value> {
    let row: Option<serde_json::Value> = meta::table
        .filter(meta::id.eq("x"))
        .select(diesel::dsl::sql::<diesel::sql_types::Jsonb>("to_jsonb(meta) - 'setup_token_hash'"))
        .first(conn)
        .await
        .optional()?;
    Ok(row.unwrap_or_else(|| serde_json::json!({})))
}
