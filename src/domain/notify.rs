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

/// A notification to send (the store's row: notifiee, notifier, type, note, reaction, message).
pub type Notice<'a> = NewNotification<'a>;

/// Stores the notification, unless its notifiee does not take it (see `db::notifications`).
pub async fn send(conn: &mut AsyncPgConnection, n: Notice<'_>) -> Result<(), Error> {
    notifications::insert(conn, &[n]).await?;
    Ok(())
}
