//! Follows, follow requests (locked accounts), blocks, mutes; counters kept in the same
//! transaction as the rows they count.

use super::events::{emit, Event};
use super::federation::{federate, host_of, Action};
use super::notify::{self, Notice};
use super::visibility;
use super::{Error, Refusal};
use crate::db::schema::{
    blockings, follow_requests, following, mutings, renote_mutings, user_profiles, users,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

pub enum Followed {
    Now,
    Requested,
}

/// Inserts the follow and bumps both counters; false when it already existed.
async fn insert_follow(conn: &mut AsyncPgConnection, follower: &str, followee: &str) -> Result<bool, Error> {
    let fh = host_of(conn, follower).await?;
    let eh = host_of(conn, followee).await?;
    conn.transaction::<_, Error, _>(async |conn| {
        let n = diesel::insert_into(following::table)
            .values((
                following::id.eq(crate::id::gen()),
                following::created_at.eq(Utc::now()),
                following::follower_id.eq(follower),
                following::followee_id.eq(followee),
                following::follower_host.eq(&fh),
                following::followee_host.eq(&eh),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if n == 1 {
            diesel::update(users::table.find(follower))
                .set(users::following_count.eq(users::following_count + 1))
                .execute(conn)
                .await?;
            diesel::update(users::table.find(followee))
                .set(users::followers_count.eq(users::followers_count + 1))
                .execute(conn)
                .await?;
        }
        Ok(n == 1)
    })
    .await
    .inspect(|&added| {
        if added {
            emit(Event::Followed { follower: follower.into(), followee: followee.into() });
            relations(&[follower]);
        }
    })
}

/// Removes the follow and lowers both counters; false when there was none. A remote followee
/// hears of it (Undo Follow), and so does a remote follower removed by a local user (Reject).
pub async fn remove_follow(
    conn: &mut AsyncPgConnection,
    follower: &str,
    followee: &str,
) -> Result<bool, Error> {
    let removed = remove_follow_quietly(conn, follower, followee).await?;
    if removed {
        tell_of_end(conn, follower, followee, None).await?;
    }
    Ok(removed)
}

/// The other server of a follow that ended (or a request that was dropped) hears of it.
async fn tell_of_end(
    conn: &mut AsyncPgConnection,
    follower: &str,
    followee: &str,
    request_uri: Option<String>,
) -> Result<(), Error> {
    let (fh, eh) = (host_of(conn, follower).await?, host_of(conn, followee).await?);
    let (follower, followee, id) = (follower.to_string(), followee.to_string(), crate::id::gen());
    match (fh, eh) {
        (None, Some(_)) => federate(conn, Action::Unfollow { id, follower, followee }).await,
        (Some(_), None) => federate(conn, Action::Reject { id, followee, follower, request_uri }).await,
        _ => Ok(()),
    }
}

/// Removes a follow without telling anyone (the remote side ended it itself).
pub async fn remove_follow_quietly(
    conn: &mut AsyncPgConnection,
    follower: &str,
    followee: &str,
) -> Result<bool, Error> {
    conn.transaction::<_, Error, _>(async |conn| {
        let n = diesel::delete(
            following::table
                .filter(following::follower_id.eq(follower).and(following::followee_id.eq(followee))),
        )
        .execute(conn)
        .await?;
        if n == 1 {
            diesel::update(users::table.find(follower))
                .set(users::following_count.eq(users::following_count - 1))
                .execute(conn)
                .await?;
            diesel::update(users::table.find(followee))
                .set(users::followers_count.eq(users::followers_count - 1))
                .execute(conn)
                .await?;
        }
        Ok(n == 1)
    })
    .await
    .inspect(|&removed| {
        if removed {
            emit(Event::Unfollowed { follower: follower.into(), followee: followee.into() });
            relations(&[follower]);
        }
    })
}

pub async fn is_following(
    conn: &mut AsyncPgConnection,
    follower: &str,
    followee: &str,
) -> Result<bool, Error> {
    visibility::follows(conn, follower, followee).await
}

/// `follower` follows `followee`, or asks to when the account is locked (unless the followee
/// already follows them back and accepts followers it follows automatically). Refused when
/// they already follow, or when either blocks the other.
///
/// Between servers: a local user following a remote one sends Follow (the remote server
/// answers Accept or Reject); a remote user's follow (`request_uri` is its Follow's id) is
/// answered Accept as soon as it takes effect, also when it already had.
pub async fn follow(
    conn: &mut AsyncPgConnection,
    follower: &str,
    followee: &str,
    with_replies: Option<bool>,
    request_uri: Option<&str>,
) -> Result<Followed, Error> {
    let (fh, eh) = (host_of(conn, follower).await?, host_of(conn, followee).await?);
    let accept = |request_uri: Option<&str>| Action::Accept {
        id: crate::id::gen(),
        followee: followee.to_string(),
        follower: follower.to_string(),
        request_uri: request_uri.map(str::to_string),
    };
    if is_following(conn, follower, followee).await? {
        if fh.is_some() && eh.is_none() {
            federate(conn, accept(request_uri)).await?;
            return Ok(Followed::Now);
        }
        return Err(Refusal::AlreadyFollowing.into());
    }
    let refusal = if visibility::blocks(conn, follower, followee).await? {
        Some(Refusal::FollowingBlockedUser)
    } else if visibility::blocks(conn, followee, follower).await? {
        Some(Refusal::FollowBlocked)
    } else {
        None
    };
    if let Some(r) = refusal {
        // A remote follower's server hears the follow is refused.
        if fh.is_some() && eh.is_none() {
            let action = Action::Reject {
                id: crate::id::gen(),
                followee: followee.to_string(),
                follower: follower.to_string(),
                request_uri: request_uri.map(str::to_string),
            };
            federate(conn, action).await?;
        }
        return Err(r.into());
    }
    let (locked, auto_accept): (bool, bool) = users::table
        .inner_join(user_profiles::table)
        .filter(users::id.eq(followee))
        .select((users::is_locked, user_profiles::auto_accept_followed))
        .first(conn)
        .await?;
    let followed_back = is_following(conn, followee, follower).await?;
    // A silenced server's users ask, whatever the account's setting.
    let silenced = fh.as_deref().is_some_and(super::federation::silenced) && eh.is_none();
    if (locked || silenced) && !(auto_accept && followed_back) {
        let n = diesel::insert_into(follow_requests::table)
            .values((
                follow_requests::id.eq(crate::id::gen()),
                follow_requests::created_at.eq(Utc::now()),
                follow_requests::follower_id.eq(follower),
                follow_requests::followee_id.eq(followee),
                follow_requests::request_uri.eq(request_uri),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if n == 1 {
            notify::send(conn, Notice::new(followee, follower, "receiveFollowRequest")).await?;
            emit(Event::FollowRequested { follower: follower.into(), followee: followee.into() });
        }
        if fh.is_none() && eh.is_some() {
            let action =
                Action::Follow { id: crate::id::gen(), follower: follower.into(), followee: followee.into() };
            federate(conn, action).await?;
        }
        return Ok(Followed::Requested);
    }
    if insert_follow(conn, follower, followee).await? {
        if let Some(w) = with_replies {
            diesel::update(
                following::table
                    .filter(following::follower_id.eq(follower).and(following::followee_id.eq(followee))),
            )
            .set(following::with_replies.eq(w))
            .execute(conn)
            .await?;
            relations(&[follower]);
        }
        notify::send(conn, Notice::new(followee, follower, "follow")).await?;
    }
    match (fh, eh) {
        (None, Some(_)) => {
            let action =
                Action::Follow { id: crate::id::gen(), follower: follower.into(), followee: followee.into() };
            federate(conn, action).await?;
        }
        (Some(_), None) => federate(conn, accept(request_uri)).await?,
        _ => {}
    }
    Ok(Followed::Now)
}

/// Deletes a pending request: whether there was one, and the id of its remote Follow.
async fn take_request(
    conn: &mut AsyncPgConnection,
    follower: &str,
    followee: &str,
) -> Result<Option<Option<String>>, Error> {
    Ok(diesel::delete(
        follow_requests::table
            .filter(follow_requests::follower_id.eq(follower).and(follow_requests::followee_id.eq(followee))),
    )
    .returning(follow_requests::request_uri)
    .get_result(conn)
    .await
    .optional()?)
}

/// The followee accepts a pending request; false when there was none. A remote follower's
/// server hears of it (Accept).
pub async fn accept(conn: &mut AsyncPgConnection, followee: &str, follower: &str) -> Result<bool, Error> {
    let Some(request_uri) = take_request(conn, follower, followee).await? else {
        return Ok(false);
    };
    insert_follow(conn, follower, followee).await?;
    if host_of(conn, follower).await?.is_some() && host_of(conn, followee).await?.is_none() {
        let action = Action::Accept {
            id: crate::id::gen(),
            followee: followee.into(),
            follower: follower.into(),
            request_uri,
        };
        federate(conn, action).await?;
    }
    let message: Option<String> =
        user_profiles::table.find(followee).select(user_profiles::followed_message).first(conn).await?;
    let mut n = Notice::new(follower, followee, "followRequestAccepted");
    n.message = message.as_deref();
    notify::send(conn, n).await?;
    Ok(true)
}

/// The followee refuses a pending request (a remote follower's server hears of it).
pub async fn reject(conn: &mut AsyncPgConnection, followee: &str, follower: &str) -> Result<bool, Error> {
    let Some(request_uri) = take_request(conn, follower, followee).await? else {
        return Ok(false);
    };
    tell_of_end(conn, follower, followee, request_uri).await?;
    Ok(true)
}

/// The follower withdraws a pending request (a remote followee's server hears of it).
pub async fn cancel(conn: &mut AsyncPgConnection, follower: &str, followee: &str) -> Result<bool, Error> {
    let Some(request_uri) = take_request(conn, follower, followee).await? else {
        return Ok(false);
    };
    tell_of_end(conn, follower, followee, request_uri).await?;
    Ok(true)
}

/// A remote server accepted a local user's follow request: it becomes a follow.
pub async fn accepted_by_remote(
    conn: &mut AsyncPgConnection,
    follower: &str,
    followee: &str,
) -> Result<bool, Error> {
    if take_request(conn, follower, followee).await?.is_none() {
        return Ok(false);
    }
    insert_follow(conn, follower, followee).await?;
    notify::send(conn, Notice::new(follower, followee, "followRequestAccepted")).await?;
    Ok(true)
}

/// A remote side ended a follow or a request (Reject, or Undo of its own Follow): it goes,
/// with nobody else to tell.
pub async fn ended_by_remote(
    conn: &mut AsyncPgConnection,
    follower: &str,
    followee: &str,
) -> Result<bool, Error> {
    let request = take_request(conn, follower, followee).await?.is_some();
    Ok(remove_follow_quietly(conn, follower, followee).await? || request)
}

/// `blocker` blocks `blockee`: follows and follow requests between them go, both ways.
pub async fn block(conn: &mut AsyncPgConnection, blocker: &str, blockee: &str) -> Result<bool, Error> {
    let n = diesel::insert_into(blockings::table)
        .values((
            blockings::id.eq(crate::id::gen()),
            blockings::created_at.eq(Utc::now()),
            blockings::blocker_id.eq(blocker),
            blockings::blockee_id.eq(blockee),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    remove_follow(conn, blocker, blockee).await?;
    remove_follow(conn, blockee, blocker).await?;
    take_request(conn, blocker, blockee).await?;
    take_request(conn, blockee, blocker).await?;
    relations(&[blocker, blockee]);
    if n == 1 && host_of(conn, blocker).await?.is_none() && host_of(conn, blockee).await?.is_some() {
        let action = Action::Block { id: crate::id::gen(), blocker: blocker.into(), blockee: blockee.into() };
        federate(conn, action).await?;
    }
    Ok(n == 1)
}

pub async fn unblock(conn: &mut AsyncPgConnection, blocker: &str, blockee: &str) -> Result<bool, Error> {
    let n = diesel::delete(
        blockings::table.filter(blockings::blocker_id.eq(blocker).and(blockings::blockee_id.eq(blockee))),
    )
    .execute(conn)
    .await?;
    relations(&[blocker, blockee]);
    if n == 1 && host_of(conn, blocker).await?.is_none() && host_of(conn, blockee).await?.is_some() {
        let action =
            Action::Unblock { id: crate::id::gen(), blocker: blocker.into(), blockee: blockee.into() };
        federate(conn, action).await?;
    }
    Ok(n == 1)
}

pub async fn mute(
    conn: &mut AsyncPgConnection,
    muter: &str,
    mutee: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<bool, Error> {
    Ok(diesel::insert_into(mutings::table)
        .values((
            mutings::id.eq(crate::id::gen()),
            mutings::created_at.eq(Utc::now()),
            mutings::expires_at.eq(expires_at),
            mutings::muter_id.eq(muter),
            mutings::mutee_id.eq(mutee),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?
        == 1)
    .inspect(|_| relations(&[muter]))
}

pub async fn unmute(conn: &mut AsyncPgConnection, muter: &str, mutee: &str) -> Result<bool, Error> {
    Ok(diesel::delete(mutings::table.filter(mutings::muter_id.eq(muter).and(mutings::mutee_id.eq(mutee))))
        .execute(conn)
        .await?
        == 1)
    .inspect(|_| relations(&[muter]))
}

pub async fn renote_mute(conn: &mut AsyncPgConnection, muter: &str, mutee: &str) -> Result<bool, Error> {
    Ok(diesel::insert_into(renote_mutings::table)
        .values((
            renote_mutings::id.eq(crate::id::gen()),
            renote_mutings::created_at.eq(Utc::now()),
            renote_mutings::muter_id.eq(muter),
            renote_mutings::mutee_id.eq(mutee),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?
        == 1)
    .inspect(|_| relations(&[muter]))
}

pub async fn renote_unmute(conn: &mut AsyncPgConnection, muter: &str, mutee: &str) -> Result<bool, Error> {
    Ok(diesel::delete(
        renote_mutings::table
            .filter(renote_mutings::muter_id.eq(muter).and(renote_mutings::mutee_id.eq(mutee))),
    )
    .execute(conn)
    .await?
        == 1)
    .inspect(|_| relations(&[muter]))
}

/// Tells the users' streams that whom they follow, mute or block changed.
fn relations(users: &[&str]) {
    emit(Event::Relations { users: users.iter().map(|u| u.to_string()).collect() });
}
