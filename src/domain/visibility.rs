//! Who may see a note, as Misskey decides it, in two forms that must agree: a check on a loaded
//! note and a SQL condition for queries that list notes.

use crate::api::pack::notes::NoteRow;
use crate::api::ApiError;
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

/// SQL that drops notes by, replying to, or renoting users in array bind `ex`, and pure renotes
/// by users in array bind `rm` (renote mutes).
pub fn exclusion_sql(a: &str, ex: &str, rm: &str) -> String {
    format!(
        "NOT ({a}.user_id = ANY({ex}) OR coalesce({a}.reply_user_id, '') = ANY({ex}) \
         OR coalesce({a}.renote_user_id, '') = ANY({ex}) \
         OR ({a}.user_id = ANY({rm}) AND {a}.renote_id IS NOT NULL AND {a}.text IS NULL))"
    )
}

/// [`exclusions`] as one row (`ex`, `rm`) for viewer `$1`; none when `$1` is NULL.
pub const EXCLUSIONS_SQL: &str =
    "SELECT ARRAY(SELECT mutee_id FROM mutings WHERE muter_id = $1 AND (expires_at IS NULL OR expires_at > now()) \
            UNION SELECT blockee_id FROM blockings WHERE blocker_id = $1 \
            UNION SELECT blocker_id FROM blockings WHERE blockee_id = $1)::text[] AS ex, \
            ARRAY(SELECT mutee_id FROM renote_mutings WHERE muter_id = $1)::text[] AS rm";

/// Whom the viewer never sees in lists: users they mute (until the mute expires) or block and
/// users who block them; and whose renotes they mute. One round trip: every list asks.
pub async fn exclusions(
    conn: &mut AsyncPgConnection,
    me: &str,
) -> Result<(Vec<String>, Vec<String>), ApiError> {
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
) -> Result<HashSet<String>, ApiError> {
    Ok(following::table
        .filter(following::follower_id.eq(me).and(following::followee_id.eq_any(authors)))
        .select(following::followee_id)
        .load::<String>(conn)
        .await?
        .into_iter()
        .collect())
}

pub async fn follows(conn: &mut AsyncPgConnection, me: &str, author: &str) -> Result<bool, ApiError> {
    Ok(!followed_among(conn, me, &[author.to_string()]).await?.is_empty())
}

/// Whether `a` blocks `b`.
pub async fn blocks(conn: &mut AsyncPgConnection, a: &str, b: &str) -> Result<bool, ApiError> {
    Ok(diesel::select(diesel::dsl::exists(
        blockings::table.filter(blockings::blocker_id.eq(a).and(blockings::blockee_id.eq(b))),
    ))
    .get_result(conn)
    .await?)
}

/// Loads a note the viewer may see; `None` when it does not exist or is hidden from them.
pub async fn visible_note(
    conn: &mut AsyncPgConnection,
    me: Option<&str>,
    id: &str,
) -> Result<Option<NoteRow>, ApiError> {
    let Some(n) = crate::api::pack::notes::load_one(conn, id).await? else {
        return Ok(None);
    };
    let follows_author = match me {
        Some(me) if n.visibility == "followers" && n.user_id != me => follows(conn, me, &n.user_id).await?,
        _ => false,
    };
    if !can_see(&n, me, follows_author) {
        return Ok(None);
    }
    if let Some(me) = me {
        if n.user_id != me && blocks(conn, &n.user_id, me).await? {
            return Ok(None);
        }
    }
    Ok(Some(n))
}
