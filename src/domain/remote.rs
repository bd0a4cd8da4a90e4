//! Users of other servers as this one keeps them: created or refreshed from their actor
//! documents (parsed by the ActivityPub adapter into [`Actor`]), with the public key their
//! signatures are checked with.

use super::Error;
use crate::db::schema::{user_profiles, user_publickeys, users};
use crate::db::users::UserRow;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// A remote actor, as read from its document.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub uri: String,
    /// `host[:port]` of its id.
    pub host: String,
    pub username: String,
    pub name: Option<String>,
    /// The profile text as MFM.
    pub description: Option<String>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub followers_uri: Option<String>,
    pub featured_uri: Option<String>,
    pub url: Option<String>,
    pub avatar_url: Option<String>,
    pub banner_url: Option<String>,
    pub is_locked: bool,
    pub is_bot: bool,
    pub is_cat: bool,
    pub is_explorable: bool,
    pub key_id: String,
    pub key_pem: String,
}

fn cut(s: Option<String>, max: usize) -> Option<String> {
    s.map(|s| s.chars().take(max).collect())
}

/// Creates or refreshes the remote user `a` (found by its URI) with its profile and key.
pub async fn upsert(conn: &mut AsyncPgConnection, a: Actor) -> Result<UserRow, Error> {
    if !crate::domain::users::valid_remote_username(&a.username) {
        return Err(Error::invalid("preferredUsername", "not a username"));
    }
    let name = cut(a.name, 128);
    let description = cut(a.description, 2048);
    conn.transaction::<_, Error, _>(async |conn| {
        let now = Utc::now();
        let found: Option<(String, Option<String>)> = users::table
            .filter(users::uri.eq(&a.uri))
            .select((users::id, users::featured_uri))
            .first(conn)
            .await
            .optional()?;
        // Their pins are read when they are first met and when their collection moves (later
        // changes arrive as Add and Remove).
        let read_featured = a.featured_uri.is_some() && found.as_ref().is_none_or(|f| f.1 != a.featured_uri);
        let existing = found.map(|f| f.0);
        // What the actor document says, written alike on creation and on refresh.
        let profile = (
            users::last_fetched_at.eq(now),
            users::name.eq(&name),
            users::inbox.eq(&a.inbox),
            users::shared_inbox.eq(&a.shared_inbox),
            users::followers_uri.eq(&a.followers_uri),
            users::featured_uri.eq(&a.featured_uri),
            users::url.eq(&a.url),
            users::avatar_url.eq(&a.avatar_url),
            users::banner_url.eq(&a.banner_url),
            (
                users::is_locked.eq(a.is_locked),
                users::is_bot.eq(a.is_bot),
                users::is_cat.eq(a.is_cat),
                users::is_explorable.eq(a.is_explorable),
            ),
        );
        let id = match existing {
            Some(id) => {
                diesel::update(users::table.find(&id))
                    .set((users::updated_at.eq(now), profile))
                    .execute(conn)
                    .await?;
                diesel::update(user_profiles::table.find(&id))
                    .set(user_profiles::description.eq(&description))
                    .execute(conn)
                    .await?;
                id
            }
            None => {
                let id = crate::id::gen();
                diesel::insert_into(users::table)
                    .values((
                        users::id.eq(&id),
                        users::created_at.eq(now),
                        users::username.eq(&a.username),
                        users::username_lower.eq(a.username.to_lowercase()),
                        users::host.eq(&a.host),
                        users::uri.eq(&a.uri),
                        profile,
                    ))
                    .execute(conn)
                    .await?;
                diesel::insert_into(user_profiles::table)
                    .values((user_profiles::user_id.eq(&id), user_profiles::description.eq(&description)))
                    .execute(conn)
                    .await?;
                id
            }
        };
        // The server is known from its first user on.
        diesel::sql_query("INSERT INTO instances (host) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind::<diesel::sql_types::Varchar, _>(&a.host)
            .execute(conn)
            .await?;
        diesel::insert_into(user_publickeys::table)
            .values((
                user_publickeys::user_id.eq(&id),
                user_publickeys::key_id.eq(&a.key_id),
                user_publickeys::key_pem.eq(&a.key_pem),
            ))
            .on_conflict(user_publickeys::user_id)
            .do_update()
            .set((user_publickeys::key_id.eq(&a.key_id), user_publickeys::key_pem.eq(&a.key_pem)))
            .execute(conn)
            .await?;
        if read_featured {
            let job = super::jobs::Job::Featured { user: id.clone() };
            super::jobs::enqueue(conn, &[(job, now)]).await?;
        }
        Ok(users::table.find(&id).select(UserRow::as_select()).first(conn).await?)
    })
    .await
}

/// The remote user with this ActivityPub id.
pub async fn by_uri(conn: &mut AsyncPgConnection, uri: &str) -> Result<Option<UserRow>, Error> {
    Ok(users::table
        .filter(users::uri.eq(uri).and(users::host.is_not_null()))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The owner and PEM of a remote key, by its id.
pub async fn key(conn: &mut AsyncPgConnection, key_id: &str) -> Result<Option<(UserRow, String)>, Error> {
    Ok(user_publickeys::table
        .inner_join(users::table)
        .filter(user_publickeys::key_id.eq(key_id))
        .select((UserRow::as_select(), user_publickeys::key_pem))
        .first(conn)
        .await
        .optional()?)
}

/// A remote actor deleted itself: its follows go (counters kept right), then the account with
/// everything that belongs to it.
pub async fn delete_actor(conn: &mut AsyncPgConnection, user: &str) -> Result<(), Error> {
    use crate::db::schema::following;
    let pairs: Vec<(String, String)> = following::table
        .filter(following::follower_id.eq(user).or(following::followee_id.eq(user)))
        .select((following::follower_id, following::followee_id))
        .load(conn)
        .await?;
    for (follower, followee) in pairs {
        super::follows::remove_follow_quietly(conn, &follower, &followee).await?;
    }
    diesel::delete(users::table.filter(users::id.eq(user).and(users::host.is_not_null())))
        .execute(conn)
        .await?;
    Ok(())
}
