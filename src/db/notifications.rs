//! Storing notifications: the one statement every notification goes through, for one or many.
//! A notification is stored for a local notifiee unless they are its notifier, mute or block it,
//! or does not want that type from that notifier (their `notificationRecieveConfig`, applied by
//! the SQL function `notification_wanted`).

use diesel::sql_types::{Array, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A notification to store: `notifier` is who caused it (none for the instance's own, such as
/// `pollEnded` of a remote poll), `kind` its Misskey type.
#[derive(Clone, Debug)]
pub struct NewNotification<'a> {
    pub notifiee: &'a str,
    pub notifier: Option<&'a str>,
    pub kind: &'a str,
    pub note_id: Option<&'a str>,
    pub reaction: Option<&'a str>,
    pub message: Option<&'a str>,
    /// The file an `exportCompleted` names, and what was exported (Misskey's entity name).
    pub file_id: Option<&'a str>,
    pub exported_entity: Option<&'a str>,
    /// The role a `roleAssigned` names.
    pub role_id: Option<&'a str>,
}

impl<'a> NewNotification<'a> {
    pub fn new(notifiee: &'a str, notifier: &'a str, kind: &'a str) -> Self {
        NewNotification {
            notifiee,
            notifier: Some(notifier),
            kind,
            note_id: None,
            reaction: None,
            message: None,
            file_id: None,
            exported_entity: None,
            role_id: None,
        }
    }

    /// One the instance sends of its own (no notifier): a sign-in, a token made, an export.
    pub fn from_instance(notifiee: &'a str, kind: &'a str) -> Self {
        NewNotification { notifier: None, ..NewNotification::new(notifiee, notifiee, kind) }
    }

    pub fn note(mut self, id: &'a str) -> Self {
        self.note_id = Some(id);
        self
    }
}

/// A stored notification: its id, notifiee and note.
#[derive(diesel::QueryableByName, Clone, Debug)]
pub struct Stored {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub notifiee_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub note_id: Option<String>,
}

/// Stores those of `rows` their notifiees accept, in one statement; answers those stored.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    rows: &[NewNotification<'_>],
) -> diesel::QueryResult<Vec<Stored>> {
    // Nobody is notified of their own doing; such rows need no statement.
    let rows: Vec<&NewNotification> = rows.iter().filter(|r| r.notifier != Some(r.notifiee)).collect();
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<String> = rows.iter().map(|_| crate::id::gen()).collect();
    fn col<'a, T>(rows: &[&'a NewNotification<'a>], f: impl Fn(&'a NewNotification<'a>) -> T) -> Vec<T> {
        rows.iter().map(|r| f(r)).collect()
    }
    crate::db::cached(
        diesel::sql_query(
            "INSERT INTO notifications (id, created_at, notifiee_id, notifier_id, type, note_id, reaction, message, \
                                        file_id, exported_entity, role_id) \
             SELECT t.id, now(), t.notifiee, t.notifier, t.kind, t.note, t.reaction, t.message, t.file, t.entity, \
                    t.role \
             FROM UNNEST($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                  AS t(id, notifiee, notifier, kind, note, reaction, message, file, entity, role) \
             WHERE t.notifiee IS DISTINCT FROM t.notifier \
               AND (SELECT u.host IS NULL FROM users u WHERE u.id = t.notifiee) \
               AND NOT EXISTS (SELECT 1 FROM mutings WHERE muter_id = t.notifiee AND mutee_id = t.notifier \
                               AND (expires_at IS NULL OR expires_at > now())) \
               AND NOT EXISTS (SELECT 1 FROM blockings WHERE blocker_id = t.notifiee AND blockee_id = t.notifier) \
               AND notification_wanted(t.notifiee::varchar, t.notifier::varchar, t.kind::varchar) \
             RETURNING id, notifiee_id, note_id",
        )
        .bind::<Array<Text>, _>(&ids)
        .bind::<Array<Text>, _>(col(&rows, |r| r.notifiee))
        .bind::<Array<Nullable<Text>>, _>(col(&rows, |r| r.notifier))
        .bind::<Array<Text>, _>(col(&rows, |r| r.kind))
        .bind::<Array<Nullable<Text>>, _>(col(&rows, |r| r.note_id))
        .bind::<Array<Nullable<Text>>, _>(col(&rows, |r| r.reaction))
        .bind::<Array<Nullable<Text>>, _>(col(&rows, |r| r.message))
        .bind::<Array<Nullable<Text>>, _>(col(&rows, |r| r.file_id))
        .bind::<Array<Nullable<Text>>, _>(col(&rows, |r| r.exported_entity))
        .bind::<Array<Nullable<Text>>, _>(col(&rows, |r| r.role_id)),
    )
    .load(conn)
    .await
}
