//! Notifications: stored for the notifiee unless they mute or block the notifier, are the
//! notifier themselves, or do not want that type from that notifier (their
//! `notificationRecieveConfig`, applied by the SQL function `notification_wanted`).

use crate::api::ApiError;
use diesel::sql_types::{Array, Nullable, Text, Varchar};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// From whom a user takes notifications of one type (`notificationRecieveConfig[type]`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Receive {
    All,
    Following,
    Follower,
    MutualFollow,
    FollowingOrFollower,
    Never,
    List {
        #[serde(rename = "userListId")]
        user_list_id: String,
    },
}

pub struct Notice<'a> {
    pub notifiee: &'a str,
    pub notifier: Option<&'a str>,
    pub kind: &'a str,
    pub note_id: Option<&'a str>,
    pub reaction: Option<&'a str>,
    pub message: Option<&'a str>,
}

impl<'a> Notice<'a> {
    pub fn new(notifiee: &'a str, notifier: &'a str, kind: &'a str) -> Self {
        Notice { notifiee, notifier: Some(notifier), kind, note_id: None, reaction: None, message: None }
    }

    pub fn note(mut self, id: &'a str) -> Self {
        self.note_id = Some(id);
        self
    }
}

pub async fn send(conn: &mut AsyncPgConnection, n: Notice<'_>) -> Result<(), ApiError> {
    send_to(conn, &n, &[(n.notifiee, n.kind)]).await
}

/// Stores `n` (its notifier, note, reaction and message) for each `(notifiee, kind)` in one
/// statement; `n.notifiee` and `n.kind` are not used.
pub async fn send_to(
    conn: &mut AsyncPgConnection,
    n: &Notice<'_>,
    to: &[(&str, &str)],
) -> Result<(), ApiError> {
    let to: Vec<&(&str, &str)> = to.iter().filter(|(who, _)| n.notifier != Some(*who)).collect();
    if to.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = to.iter().map(|_| crate::id::gen()).collect();
    let notifiees: Vec<&str> = to.iter().map(|t| t.0).collect();
    let kinds: Vec<&str> = to.iter().map(|t| t.1).collect();
    crate::db::cached(diesel::sql_query(
        "INSERT INTO notifications (id, created_at, notifiee_id, notifier_id, type, note_id, reaction, message) \
         SELECT t.id, now(), t.notifiee, $2, t.kind, $3, $4, $5 FROM UNNEST($1, $6, $7) AS t(id, notifiee, kind) \
         WHERE NOT EXISTS (SELECT 1 FROM mutings WHERE muter_id = t.notifiee AND mutee_id = $2 \
                           AND (expires_at IS NULL OR expires_at > now())) \
           AND NOT EXISTS (SELECT 1 FROM blockings WHERE blocker_id = t.notifiee AND blockee_id = $2) \
           AND notification_wanted(t.notifiee, $2, t.kind)",
    )
    .bind::<Array<Text>, _>(&ids)
    .bind::<Nullable<Varchar>, _>(n.notifier)
    .bind::<Nullable<Varchar>, _>(n.note_id)
    .bind::<Nullable<Varchar>, _>(n.reaction)
    .bind::<Nullable<Text>, _>(n.message)
    .bind::<Array<Text>, _>(&notifiees)
    .bind::<Array<Text>, _>(&kinds))
    .execute(conn)
    .await?;
    Ok(())
}
