//! Invitation codes. While registration is closed, signup takes one unused, unexpired code and
//! marks it used in the same transaction that creates the account, so a code admits one account
//! even when two people try it at once. Users whose policies allow it make codes themselves,
//! at most `inviteLimit` per `inviteLimitCycle` minutes; moderators make any number.

use super::policies::RolePolicies;
use crate::db::schema::registration_tickets as t;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::Rng;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct Ticket {
    pub id: String,
    pub code: String,
    pub created_by_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub used_by_id: Option<String>,
    pub used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("the limit of invitation codes per cycle is reached")]
    LimitReached,
    #[error("no such invitation code")]
    NoSuchCode,
    #[error("the invitation code belongs to someone else")]
    NotYours,
    #[error("the invitation code has been used")]
    Used,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Letters and digits nobody misreads when a code is typed from a screenshot (no 0/o, 1/l/i).
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
const CODE_LEN: usize = 12;

pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..CODE_LEN).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// `count` codes by `creator`, newest first. Administrators' and moderators' codes
/// (`admin/invite/create`) have no per-cycle limit.
pub async fn create_many(
    conn: &mut AsyncPgConnection,
    creator: &str,
    count: usize,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Vec<Ticket>, diesel::result::Error> {
    let rows: Vec<_> = (0..count)
        .map(|_| {
            (
                t::id.eq(crate::id::gen()),
                t::code.eq(new_code()),
                t::created_by_id.eq(Some(creator.to_string())),
                t::expires_at.eq(expires_at),
            )
        })
        .collect();
    let mut made: Vec<Ticket> = diesel::insert_into(t::table)
        .values(rows)
        .returning(Ticket::as_returning())
        .get_results(conn)
        .await?;
    made.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(made)
}

/// Codes made in the current cycle by `user`, or None when the policies set no limit.
async fn made_this_cycle(
    conn: &mut AsyncPgConnection,
    user: &str,
    policies: &RolePolicies,
) -> Result<Option<i64>, diesel::result::Error> {
    if policies.invite_limit == 0 {
        return Ok(None);
    }
    let since = Utc::now() - Duration::minutes(i64::from(policies.invite_limit_cycle));
    let n = t::table
        .filter(t::created_by_id.eq(user).and(t::id.gt(crate::id::min_at(since.timestamp_millis()))))
        .count()
        .get_result(conn)
        .await?;
    Ok(Some(n))
}

/// One code of the user's own (`invite/create`), within the cycle's limit; expiry from the
/// policies' `inviteExpirationTime`.
pub async fn create_own(
    conn: &mut AsyncPgConnection,
    user: &str,
    policies: &RolePolicies,
) -> Result<Ticket, InviteError> {
    let user = user.to_string();
    let policies = policies.clone();
    conn.transaction::<_, InviteError, _>(async move |conn| {
        // Two concurrent calls of one user count one after the other.
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('invite:' || $1))")
            .bind::<diesel::sql_types::Text, _>(&user)
            .execute(conn)
            .await?;
        if made_this_cycle(conn, &user, &policies)
            .await?
            .is_some_and(|n| n >= i64::from(policies.invite_limit))
        {
            return Err(InviteError::LimitReached);
        }
        let expires = (policies.invite_expiration_time > 0)
            .then(|| Utc::now() + Duration::minutes(i64::from(policies.invite_expiration_time)));
        let mut made = create_many(conn, &user, 1, expires).await?;
        Ok(made.remove(0))
    })
    .await
}

/// How many more codes the user may make in this cycle; None without a limit (`invite/limit`).
pub async fn remaining(
    conn: &mut AsyncPgConnection,
    user: &str,
    policies: &RolePolicies,
) -> Result<Option<i64>, diesel::result::Error> {
    Ok(made_this_cycle(conn, user, policies).await?.map(|n| (i64::from(policies.invite_limit) - n).max(0)))
}

/// Marks the code used by `user`; false when it does not exist, is used or has expired. Run it
/// inside the transaction that creates the account.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    code: &str,
    user: &str,
) -> Result<bool, diesel::result::Error> {
    let now = Utc::now();
    let n = diesel::update(
        t::table.filter(
            t::code
                .eq(code)
                .and(t::used_by_id.is_null())
                .and(t::used_at.is_null())
                .and(t::expires_at.is_null().or(t::expires_at.gt(now))),
        ),
    )
    .set((t::used_by_id.eq(user), t::used_at.eq(now)))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Deletes a code: users their own unused ones, moderators (`staff`) any.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    id: &str,
    user: &str,
    staff: bool,
) -> Result<(), InviteError> {
    let ticket: Ticket = t::table
        .find(id)
        .select(Ticket::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(InviteError::NoSuchCode)?;
    if !staff && ticket.created_by_id.as_deref() != Some(user) {
        return Err(InviteError::NotYours);
    }
    if !staff && ticket.used_at.is_some() {
        return Err(InviteError::Used);
    }
    diesel::delete(t::table.find(id)).execute(conn).await?;
    Ok(())
}
