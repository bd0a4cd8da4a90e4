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

/// Stores the notification, unless its notifiee does not take it (see `db::notifications`), and
/// tells its notifiee's streams. Called outside any transaction: the event follows the commit.
pub async fn send(conn: &mut AsyncPgConnection, n: Notice<'_>) -> Result<(), Error> {
    super::events::notified(&notifications::insert(conn, &[n]).await?);
    Ok(())
}

/// Marks every notification of the user read and tells their streams.
pub async fn read_all(conn: &mut AsyncPgConnection, user: &str) -> Result<(), Error> {
    use crate::db::schema::notifications as n;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    diesel::update(n::table.filter(n::notifiee_id.eq(user).and(n::is_read.eq(false))))
        .set(n::is_read.eq(true))
        .execute(conn)
        .await?;
    super::events::emit(super::events::Event::NotificationsRead { user: user.to_string() });
    Ok(())
}
