//! Who may see a note, as Misskey decides it, and which notes lists leave out for a viewer
//! (mutes, blocks, renote mutes). Each rule has two forms: a check on a loaded note
//! ([`can_see`], [`excluded`]) and a SQL condition for statements that list notes ([`sql`],
//! [`exclusion_sql`]). A property test (`tests/visibility.rs`) holds each pair to the same
//! answer on every kind of viewer and note.

use super::Error;
use crate::db::notes::{self as db_notes, NoteRow};
use crate::db::schema::{blockings, following};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Varchar};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashSet;

/// Whether `me` (None = anonymous) may see the note; `follows_author` says whether `me` follows
/// the note's author.
pub fn can_see(n: &NoteRow, me: Option<&str>, follows_author: bool) -> bool {
    match n.visibility.as_str() {
        "public" | "home" => true,
        _ => match me {
            None => false,
            Some(me) => {
                n.user_id == me
                    || n.visible_user_ids.iter().any(|u| u == me)
                    || (n.visibility == "followers"
                        && (follows_author
                            || n.mentions.iter().any(|u| u == me)
                            || n.reply_user_id.as_deref() == Some(me)))
            }
        },
    }
}

/// The same rule as SQL over note alias `a`, with the viewer's id in bind `me` (may be NULL).
pub fn sql(a: &str, me: &str) -> String {
    format!(
        "({a}.visibility IN ('public','home') OR ({me}::varchar IS NOT NULL AND ({a}.user_id = {me} \
         OR {me} = ANY({a}.visible_user_ids) OR ({a}.visibility = 'followers' AND ({me} = ANY({a}.mentions) \
         OR {a}.reply_user_id = {me} OR EXISTS (SELECT 1 FROM following vf WHERE vf.follower_id = {me} \
         AND vf.followee_id = {a}.user_id))))))"
    )
}

/// SQL that drops notes by, replying to, or renoting users in array `ex`, and pure renotes by
/// users in array `rm` (renote mutes).
pub fn exclusion_sql(a: &str, ex: &str, rm: &str) -> String {
    format!(
        "NOT ({a}.user_id = ANY({ex}) OR coalesce({a}.reply_user_id, '') = ANY({ex}) \
         OR coalesce({a}.renote_user_id, '') = ANY({ex}) \
         OR ({a}.user_id = ANY({rm}) AND {pure}))",
        pure = super::notes::pure_renote_sql(a),
    )
}

/// [`exclusion_sql`] on a loaded note: whether lists leave it out for a viewer who excludes the
/// users in `ex` and mutes the renotes of those in `rm` (see [`exclusions`]).
pub fn excluded(n: &NoteRow, ex: &impl Users, rm: &impl Users) -> bool {
    let any = |u: Option<&String>| u.is_some_and(|u| ex.has(u));
    any(Some(&n.user_id))
        || any(n.reply_user_id.as_ref())
        || any(n.renote_user_id.as_ref())
        || (rm.has(&n.user_id) && super::notes::is_pure_renote(n))
}

/// A set of user ids, as a list or a hash set.
pub trait Users {
    fn has(&self, id: &str) -> bool;
}

impl Users for [String] {
    fn has(&self, id: &str) -> bool {
        self.iter().any(|u| u == id)
    }
}

impl Users for Vec<String> {
    fn has(&self, id: &str) -> bool {
        self[..].has(id)
    }
}

impl Users for HashSet<String> {
    fn has(&self, id: &str) -> bool {
        self.contains(id)
    }
}

/// [`exclusions`] as one row (`ex`, `rm`) for viewer `$1` (only suspended users when `$1` is NULL).
pub const EXCLUSIONS_SQL: &str =
    "SELECT ARRAY(SELECT mutee_id FROM mutings WHERE muter_id = $1 AND (expires_at IS NULL OR expires_at > now()) \
            UNION SELECT blockee_id FROM blockings WHERE blocker_id = $1 \
            UNION SELECT blocker_id FROM blockings WHERE blockee_id = $1 \
            UNION SELECT id FROM users WHERE is_suspended)::text[] AS ex, \
            ARRAY(SELECT mutee_id FROM renote_mutings WHERE muter_id = $1)::text[] AS rm";

/// Whom the viewer never sees in lists: users they mute (until the mute expires) or block,
/// users who block them, and suspended users (for every viewer, anonymous too); and whose
/// renotes they mute. One round trip: every list asks.
pub async fn exclusions(conn: &mut AsyncPgConnection, me: &str) -> Result<(Vec<String>, Vec<String>), Error> {
    #[derive(diesel::QueryableByName)]
    struct Excluded {
        #[diesel(sql_type = Array<Text>)]
        ex: Vec<String>,
        #[diesel(sql_type = Array<Text>)]
        rm: Vec<String>,
    }
    let e: Excluded =
        crate::db::cached(diesel::sql_query(EXCLUSIONS_SQL).bind::<Varchar, _>(me)).get_result(conn).await?;
    Ok((e.ex, e.rm))
}

/// The subset of `authors` that `me` follows.
pub async fn followed_among(
    conn: &mut AsyncPgConnection,
    me: &str,
    authors: &[String],
) -> Result<HashSet<String>, Error> {
    Ok(following::table
        .filter(following::follower_id.eq(me).and(following::followee_id.eq_any(authors)))
        .select(following::followee_id)
        .load::<String>(conn)
        .await?
        .into_iter()
        .collect())
}

pub async fn follows(conn: &mut AsyncPgConnection, me: &str, author: &str) -> Result<bool, Error> {
    Ok(!followed_among(conn, me, &[author.to_string()]).await?.is_empty())
}

/// Whether `viewer` may see `owner`'s followers (`followers`) or followees: as the owner's
/// `followersVisibility` / `followingVisibility` says (public; followers: theirs only; private:
/// the owner only). Lists across many users (a server's follows) show public lists only.
pub async fn may_see_follow_list(
    conn: &mut AsyncPgConnection,
    viewer: Option<&str>,
    owner: &str,
    followers: bool,
) -> Result<bool, Error> {
    use crate::db::schema::user_profiles;
    let vis: Option<(String, String)> = user_profiles::table
        .find(owner)
        .select((user_profiles::followers_visibility, user_profiles::following_visibility))
        .first(conn)
        .await
        .optional()?;
    let vis = vis.map(|(a, b)| if followers { a } else { b });
    Ok(match vis.as_deref().unwrap_or("public") {
        "public" => true,
        _ if viewer == Some(owner) => true,
        "followers" => match viewer {
            Some(v) => follows(conn, v, owner).await?,
            None => false,
        },
        _ => false,
    })
}

/// Whether `a` blocks `b`.
pub async fn blocks(conn: &mut AsyncPgConnection, a: &str, b: &str) -> Result<bool, Error> {
    Ok(diesel::select(diesel::dsl::exists(
        blockings::table.filter(blockings::blocker_id.eq(a).and(blockings::blockee_id.eq(b))),
    ))
    .get_result(conn)
    .await?)
}

/// Whether the user is suspended: their notes are shown to nobody while they are.
pub async fn author_suspended(conn: &mut AsyncPgConnection, user: &str) -> Result<bool, Error> {
    use crate::db::schema::users;
    Ok(users::table.find(user).select(users::is_suspended).first(conn).await.optional()?.unwrap_or(true))
}

/// Loads a note the viewer may see; `None` when it does not exist or is hidden from them.
pub async fn visible_note(
    conn: &mut AsyncPgConnection,
    me: Option<&str>,
    id: &str,
) -> Result<Option<NoteRow>, Error> {
    let Some(n) = db_notes::load_one(conn, id).await? else {
        return Ok(None);
    };
    let follows_author = match me {
        Some(me) if n.visibility == "followers" && n.user_id != me => follows(conn, me, &n.user_id).await?,
        _ => false,
    };
    if !can_see(&n, me, follows_author) || author_suspended(conn, &n.user_id).await? {
        return Ok(None);
    }
    if let Some(me) = me {
        if n.user_id != me && blocks(conn, &n.user_id, me).await? {
            return Ok(None);
        }
    }
    Ok(Some(n))
}
