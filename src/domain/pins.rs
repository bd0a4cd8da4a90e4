//! Pinned notes: a user's own notes shown first on their profile (`pinnedNoteIds`, the newest pin
//! first), as many as the `pinLimit` policy allows. A local user's pins and unpins of notes other
//! servers may see reach their remote followers as Add/Remove on the featured collection; a
//! remote user's Add/Remove arrives through the same two functions.

use super::policies::RolePolicies;
use super::{Error, Refusal};
use crate::db::schema::user_profiles;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Pins `user`'s own note `note_id`, within the `pinLimit` of `policies`.
pub async fn pin(
    conn: &mut AsyncPgConnection,
    user: &str,
    note_id: &str,
    policies: &RolePolicies,
) -> Result<(), Error> {
    let limit = usize::try_from(policies.pin_limit).unwrap_or(usize::MAX);
    change(conn, user, note_id, Some(limit)).await
}

/// Takes the pin off `user`'s note `note_id` (one that was not pinned stays so, quietly).
pub async fn unpin(conn: &mut AsyncPgConnection, user: &str, note_id: &str) -> Result<(), Error> {
    change(conn, user, note_id, None).await
}

/// Pins (`limit`: how many may be pinned) or unpins.
async fn change(
    conn: &mut AsyncPgConnection,
    user: &str,
    note_id: &str,
    limit: Option<usize>,
) -> Result<(), Error> {
    let pinning = limit.is_some();
    let note = crate::db::notes::load_one(conn, note_id).await?.filter(|n| n.user_id == user);
    let Some(note) = note else {
        return Err(Refusal::NoSuchNoteToPin { pinning }.into());
    };
    // The list is read and written under the profile row's lock, with the activity enqueued in
    // the same transaction: concurrent pins neither lose each other nor pass the limit.
    conn.transaction::<_, Error, _>(async |conn| {
        let mut pinned: Vec<String> = user_profiles::table
            .find(user)
            .select(user_profiles::pinned_note_ids)
            .for_update()
            .first(conn)
            .await?;
        match limit {
            Some(_) if pinned.contains(&note.id) => return Err(Refusal::AlreadyPinned.into()),
            Some(limit) if pinned.len() >= limit => return Err(Refusal::PinLimitExceeded.into()),
            Some(_) => pinned.insert(0, note.id.clone()),
            None if !pinned.contains(&note.id) => return Ok(()),
            None => pinned.retain(|n| *n != note.id),
        }
        diesel::update(user_profiles::table.find(user))
            .set(user_profiles::pinned_note_ids.eq(&pinned))
            .execute(conn)
            .await?;
        if super::federation::servable(&note) && super::federation::reaches_remote(conn, user, &[]).await? {
            let action = super::federation::Action::PinChanged {
                id: crate::id::gen(),
                user: user.to_string(),
                note_id: note.id.clone(),
                pinned: pinning,
            };
            super::federation::federate(conn, action).await?;
        }
        Ok(())
    })
    .await
}

/// How many pins of a remote user are read from their featured collection.
pub const REMOTE_PINS: usize = 5;

/// A remote user's pins as their featured collection lists them (read when they are first met
/// or refreshed): their own stored notes only, in the collection's order, at most
/// [`REMOTE_PINS`].
pub async fn set_remote(conn: &mut AsyncPgConnection, user: &str, note_ids: &[String]) -> Result<(), Error> {
    use crate::db::schema::notes;
    let own: Vec<String> = notes::table
        .filter(notes::id.eq_any(note_ids).and(notes::user_id.eq(user)))
        .select(notes::id)
        .load(conn)
        .await?;
    let mut pinned: Vec<String> = Vec::new();
    for id in note_ids {
        if own.contains(id) && !pinned.contains(id) && pinned.len() < REMOTE_PINS {
            pinned.push(id.clone());
        }
    }
    diesel::update(user_profiles::table.find(user))
        .set(user_profiles::pinned_note_ids.eq(&pinned))
        .execute(conn)
        .await?;
    Ok(())
}
