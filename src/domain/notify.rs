//! Notifications: stored for the notifiee unless they mute or block the notifier (or are the
//! notifier themselves).

use crate::api::ApiError;
use diesel::sql_types::{Nullable, Text, Varchar};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

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
    if n.notifier == Some(n.notifiee) {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO notifications (id, created_at, notifiee_id, notifier_id, type, note_id, reaction, message) \
         SELECT $1, now(), $2, $3, $4, $5, $6, $7 \
         WHERE NOT EXISTS (SELECT 1 FROM mutings WHERE muter_id = $2 AND mutee_id = $3 \
                           AND (expires_at IS NULL OR expires_at > now())) \
           AND NOT EXISTS (SELECT 1 FROM blockings WHERE blocker_id = $2 AND blockee_id = $3)",
    )
    .bind::<Varchar, _>(crate::id::gen())
    .bind::<Varchar, _>(n.notifiee)
    .bind::<Nullable<Varchar>, _>(n.notifier)
    .bind::<Varchar, _>(n.kind)
    .bind::<Nullable<Varchar>, _>(n.note_id)
    .bind::<Nullable<Varchar>, _>(n.reaction)
    .bind::<Nullable<Text>, _>(n.message)
    .execute(conn)
    .await?;
    Ok(())
}
