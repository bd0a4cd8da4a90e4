//! invite/* (a user's own invitation codes, gated by the `canInvite` policy) and admin/invite/*.

use super::endpoint::{Ctx, Out};
use super::pack::{iso, users as pack_users};
use super::timelines::{paginate, Page};
use super::ApiError;
use crate::db::schema::registration_tickets as t;
use crate::domain::invites::{self, InviteError, Ticket};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// InviteCode objects, with their creators and users as UserLite (one query for all of them).
async fn pack(conn: &mut AsyncPgConnection, base: &str, tickets: &[Ticket]) -> Result<Vec<Value>, ApiError> {
    let mut ids: Vec<String> =
        tickets.iter().flat_map(|k| [k.created_by_id.clone(), k.used_by_id.clone()]).flatten().collect();
    ids.sort_unstable();
    ids.dedup();
    let users = pack_users::load(conn, &ids).await?;
    let lite = |id: &Option<String>| {
        id.as_ref().and_then(|id| users.get(id)).map(|u| pack_users::lite(base, u)).unwrap_or(Value::Null)
    };
    Ok(tickets
        .iter()
        .map(|k| {
            json!({
                "id": k.id,
                "code": k.code,
                "expiresAt": k.expires_at.map(iso),
                "createdAt": crate::id::parse_millis(&k.id)
                    .and_then(DateTime::<Utc>::from_timestamp_millis)
                    .map(iso),
                "createdBy": lite(&k.created_by_id),
                "usedBy": lite(&k.used_by_id),
                "usedAt": k.used_at.map(iso),
                "used": k.used_at.is_some(),
            })
        })
        .collect())
}

#[derive(Deserialize, JsonSchema)]
pub struct NoParams {}

fn invite_error(e: InviteError) -> ApiError {
    match e {
        InviteError::LimitReached => ApiError::client(
            "EXCEEDED_LIMIT_OF_CREATE_INVITE_CODE",
            "8b165dd3-6f37-4557-8db1-73175d63c641",
            "You have exceeded the limit for creating an invitation code.",
        ),
        InviteError::NoSuchCode => ApiError::client(
            "NO_SUCH_INVITE_CODE",
            "cd4f9ae4-7854-4e3e-8df9-c296f051e634",
            "No such invite code.",
        ),
        InviteError::NotYours => {
            ApiError::client("ACCESS_DENIED", "5eb8d909-2540-4970-90b8-dd6f86088121", "Access denied.")
        }
        InviteError::Used => ApiError::client(
            "CAN_NOT_DELETE_INVITE_CODE",
            "ff17af39-000c-4d4e-abdf-848fa30fc1ce",
            "You can't delete this invite code.",
        ),
        InviteError::Db(e) => e.into(),
    }
}

pub async fn create(ctx: Ctx, _: NoParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let policies = ctx.policies().await?;
    let mut conn = ctx.db().await?;
    let ticket = invites::create_own(&mut conn, &me, &policies).await.map_err(invite_error)?;
    let mut packed = pack(&mut conn, &ctx.state.config.url, &[ticket]).await?;
    Ok(packed.remove(0).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteParams {
    invite_id: String,
}

pub async fn delete(ctx: Ctx, p: DeleteParams) -> Result<Out, ApiError> {
    let me = ctx.me()?;
    let mut conn = ctx.db().await?;
    invites::delete(&mut conn, &p.invite_id, &me.id, me.is_staff()).await.map_err(invite_error)?;
    Ok(().into())
}

pub async fn limit(ctx: Ctx, _: NoParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let policies = ctx.policies().await?;
    let mut conn = ctx.db().await?;
    Ok(json!({ "remaining": invites::remaining(&mut conn, &me, &policies).await? }).into())
}

#[derive(Deserialize, JsonSchema)]
pub struct ListParams {
    #[serde(flatten)]
    page: Page,
}

pub async fn list(ctx: Ctx, p: ListParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(30)?;
    let mut conn = ctx.db().await?;
    let q = paginate!(t::table.filter(t::created_by_id.eq(&me)).into_boxed(), t::id, b);
    let tickets: Vec<Ticket> = q.select(Ticket::as_select()).limit(b.limit).load(&mut conn).await?;
    Ok(Value::Array(pack(&mut conn, &ctx.state.config.url, &tickets).await?).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminCreateParams {
    /// 1–100; 1 when absent.
    count: Option<u32>,
    /// When the codes stop working: an ISO 8601 date or date-time; null or absent for never.
    expires_at: Option<String>,
}

/// Misskey takes anything `Date.parse` reads; clients send ISO 8601, with or without the time.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

pub async fn admin_create(ctx: Ctx, p: AdminCreateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let count = p.count.unwrap_or(1);
    if !(1..=100).contains(&count) {
        return Err(ApiError::invalid_param("count", "must be between 1 and 100"));
    }
    let expires_at = match p.expires_at.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_time(s).ok_or_else(|| {
            ApiError::client(
                "INVALID_DATE_TIME",
                "f1380b15-3760-4c6c-a1db-5c3aaf1cbd49",
                "Invalid date-time format",
            )
        })?),
    };
    let mut conn = ctx.db().await?;
    let tickets = invites::create_many(&mut conn, &me, count as usize, expires_at).await?;
    Ok(Value::Array(pack(&mut conn, &ctx.state.config.url, &tickets).await?).into())
}

#[derive(Deserialize, JsonSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Unused,
    Used,
    Expired,
    #[default]
    All,
}

#[derive(Deserialize, JsonSchema, Clone, Copy)]
pub enum Sort {
    #[serde(rename = "+createdAt")]
    Newest,
    #[serde(rename = "-createdAt")]
    Oldest,
    #[serde(rename = "+usedAt")]
    LatestUse,
    #[serde(rename = "-usedAt")]
    EarliestUse,
}

#[derive(Deserialize, JsonSchema)]
pub struct AdminListParams {
    /// 1–100; 30 when absent.
    limit: Option<u32>,
    offset: Option<u32>,
    #[serde(rename = "type", default)]
    status: Status,
    sort: Option<Sort>,
}

pub async fn admin_list(ctx: Ctx, p: AdminListParams) -> Result<Out, ApiError> {
    let limit = super::params::limit(p.limit, 30)?;
    let mut q = t::table.into_boxed();
    q = match p.status {
        Status::Unused => q.filter(t::used_by_id.is_null()),
        Status::Used => q.filter(t::used_by_id.is_not_null()),
        Status::Expired => q.filter(t::expires_at.lt(Utc::now())),
        Status::All => q,
    };
    q = match p.sort.unwrap_or(Sort::Newest) {
        Sort::Newest => q.order(t::id.desc()),
        Sort::Oldest => q.order(t::id.asc()),
        Sort::LatestUse => q.order((t::used_at.desc().nulls_last(), t::id.desc())),
        Sort::EarliestUse => q.order((t::used_at.asc().nulls_first(), t::id.desc())),
    };
    let mut conn = ctx.db().await?;
    let tickets: Vec<Ticket> = q
        .select(Ticket::as_select())
        .limit(i64::from(limit))
        .offset(i64::from(p.offset.unwrap_or(0)))
        .load(&mut conn)
        .await?;
    Ok(Value::Array(pack(&mut conn, &ctx.state.config.url, &tickets).await?).into())
}
