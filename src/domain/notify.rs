//! Notifications: stored for a local notifiee unless they mute or block the notifier, are the
//! notifier themselves, or do not want that type from that notifier (their
//! `notificationRecieveConfig`). The store's one statement for notifications applies it
//! (`db::notifications`), for single notices here and for a new note's in its writer.

use super::Error;
use crate::db::notifications::{self, NewNotification};
use diesel_async::AsyncPgConnection;
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

/// Stores the notification, unless its notifiee does not take it (see `db::notifications`).
pub async fn send(conn: &mut AsyncPgConnection, n: Notice<'_>) -> Result<(), Error> {
    let row = NewNotification {
        notifiee: n.notifiee,
        notifier: n.notifier,
        kind: n.kind,
        note_id: n.note_id,
        reaction: n.reaction,
        message: n.message,
    };
    notifications::insert(conn, &[row]).await?;
    Ok(())
}
