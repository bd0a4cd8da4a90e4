//! User rows: the account, its profile, and what UserLite shows of it (the columns statements
//! that pack notes select beside each note).

use super::schema::{user_profiles, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use std::collections::HashMap;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_fetched_at: Option<DateTime<Utc>>,
    pub last_active_date: Option<DateTime<Utc>>,
    pub username: String,
    pub host: Option<String>,
    pub name: Option<String>,
    pub followers_count: i32,
    pub following_count: i32,
    pub notes_count: i32,
    pub is_suspended: bool,
    pub is_locked: bool,
    pub is_bot: bool,
    pub is_cat: bool,
    pub is_root: bool,
    pub is_admin: bool,
    pub is_moderator: bool,
    pub is_system: bool,
    pub uri: Option<String>,
    pub avatar_url: Option<String>,
    pub banner_url: Option<String>,
    pub is_explorable: bool,
    pub hide_online_status: bool,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = user_profiles)]
pub struct ProfileRow {
    pub user_id: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub description: Option<String>,
    pub location: Option<String>,
    pub birthday: Option<String>,
    pub lang: Option<String>,
    pub url: Option<String>,
    pub fields: Value,
    pub two_factor_enabled: bool,
    pub pinned_note_ids: Vec<String>,
    pub muted_words: Value,
    pub hard_muted_words: Value,
    pub muted_instances: Value,
    pub followed_message: Option<String>,
    pub public_reactions: bool,
    pub following_visibility: String,
    pub followers_visibility: String,
    pub auto_accept_followed: bool,
    pub careful_bot: bool,
    pub no_crawle: bool,
    pub prevent_ai_learning: bool,
    pub always_mark_nsfw: bool,
    pub auto_sensitive: bool,
    pub inject_featured_note: bool,
    pub receive_announcement_email: bool,
    pub notification_recieve_config: Value,
    pub email_notification_types: Value,
}

/// Loads users by id (missing ids are skipped).
pub async fn load(conn: &mut AsyncPgConnection, ids: &[String]) -> QueryResult<HashMap<String, UserRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<UserRow> =
        users::table.filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn).await?;
    Ok(rows.into_iter().map(|u| (u.id.clone(), u)).collect())
}

pub async fn load_one(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table.find(id).select(UserRow::as_select()).first(conn).await.optional()
}

/// What UserLite shows of a user. Statements that pack notes select these columns of the
/// author under `u_` names beside the note's own.
#[derive(QueryableByName, Clone, Debug)]
pub struct LiteUser {
    #[diesel(sql_type = Text, column_name = u_id)]
    pub id: String,
    #[diesel(sql_type = Text, column_name = u_username)]
    pub username: String,
    #[diesel(sql_type = Nullable<Text>, column_name = u_host)]
    pub host: Option<String>,
    #[diesel(sql_type = Nullable<Text>, column_name = u_name)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>, column_name = u_avatar_url)]
    pub avatar_url: Option<String>,
    #[diesel(sql_type = Bool, column_name = u_is_bot)]
    pub is_bot: bool,
    #[diesel(sql_type = Bool, column_name = u_is_cat)]
    pub is_cat: bool,
    #[diesel(sql_type = Nullable<Timestamptz>, column_name = u_last_active_date)]
    pub last_active_date: Option<DateTime<Utc>>,
    #[diesel(sql_type = Bool, column_name = u_hide_online_status)]
    pub hide_online_status: bool,
    // What role conditions read, for badges.
    #[diesel(sql_type = Timestamptz, column_name = u_created_at)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Integer, column_name = u_followers_count)]
    pub followers_count: i32,
    #[diesel(sql_type = Integer, column_name = u_following_count)]
    pub following_count: i32,
    #[diesel(sql_type = Integer, column_name = u_notes_count)]
    pub notes_count: i32,
    #[diesel(sql_type = Bool, column_name = u_is_suspended)]
    pub is_suspended: bool,
    #[diesel(sql_type = Bool, column_name = u_is_locked)]
    pub is_locked: bool,
    #[diesel(sql_type = Bool, column_name = u_is_explorable)]
    pub is_explorable: bool,
}

/// The [`LiteUser`] columns of `users` alias `a`, named as that struct reads them.
pub fn lite_columns(a: &str) -> String {
    [
        "id",
        "username",
        "host",
        "name",
        "avatar_url",
        "is_bot",
        "is_cat",
        "last_active_date",
        "hide_online_status",
        "created_at",
        "followers_count",
        "following_count",
        "notes_count",
        "is_suspended",
        "is_locked",
        "is_explorable",
    ]
    .iter()
    .map(|c| format!("{a}.{c} AS u_{c}"))
    .collect::<Vec<_>>()
    .join(", ")
}

impl From<&UserRow> for LiteUser {
    fn from(u: &UserRow) -> Self {
        LiteUser {
            id: u.id.clone(),
            username: u.username.clone(),
            host: u.host.clone(),
            name: u.name.clone(),
            avatar_url: u.avatar_url.clone(),
            is_bot: u.is_bot,
            is_cat: u.is_cat,
            last_active_date: u.last_active_date,
            hide_online_status: u.hide_online_status,
            created_at: u.created_at,
            followers_count: u.followers_count,
            following_count: u.following_count,
            notes_count: u.notes_count,
            is_suspended: u.is_suspended,
            is_locked: u.is_locked,
            is_explorable: u.is_explorable,
        }
    }
}
