//! Moderators' endpoints: accounts (list, show, suspend, note, password), abuse reports and the
//! moderation log. The rules live in `domain::moderation`; this parses, calls and packs.

use super::endpoint::{Ctx, Out};
use super::pack::iso;
use super::pack::users::{self as pack_users, UserRow};
use super::timelines::{paginate, Page};
use super::ApiError;
use crate::db::schema::{abuse_user_reports, moderation_logs, user_profiles, users};
use crate::domain::moderation::{self, Resolution};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

fn moderator(ctx: &Ctx) -> Result<String, ApiError> {
    Ok(ctx.me()?.id.clone())
}

/// Packs users as `UserDetailedNotMe`, keyed by id.
async fn packed_users(
    ctx: &Ctx,
    conn: &mut diesel_async::AsyncPgConnection,
    ids: Vec<String>,
) -> Result<HashMap<String, Value>, ApiError> {
    let mut ids = ids;
    ids.sort();
    ids.dedup();
    let found = pack_users::load(conn, &ids).await?;
    let rows: Vec<UserRow> = ids.iter().filter_map(|id| found.get(id).cloned()).collect();
    let packed = pack_users::detailed(conn, &ctx.state.config.url, ctx.me_id(), &rows).await?;
    Ok(rows.into_iter().map(|u| u.id).zip(packed).collect())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserParams {
    user_id: String,
}

pub async fn suspend(ctx: Ctx, p: UserParams) -> Result<Out, ApiError> {
    let me = moderator(&ctx)?;
    moderation::set_suspended(&mut *ctx.db().await?, Some(&me), &p.user_id, true).await?;
    // Other processes forget their cached resolution of the user's tokens within seconds.
    ctx.api.tokens.forget_user(&p.user_id);
    Ok(().into())
}

pub async fn unsuspend(ctx: Ctx, p: UserParams) -> Result<Out, ApiError> {
    let me = moderator(&ctx)?;
    moderation::set_suspended(&mut *ctx.db().await?, Some(&me), &p.user_id, false).await?;
    // Other processes forget their cached resolution of the user's tokens within seconds.
    ctx.api.tokens.forget_user(&p.user_id);
    Ok(().into())
}

pub async fn reset_password(ctx: Ctx, p: UserParams) -> Result<Out, ApiError> {
    let me = moderator(&ctx)?;
    let password = moderation::reset_password(&mut *ctx.db().await?, &me, &p.user_id).await?;
    Ok(json!({ "password": password }).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserNoteParams {
    user_id: String,
    #[schemars(length(max = 8192))]
    text: String,
}

pub async fn update_user_note(ctx: Ctx, p: UserNoteParams) -> Result<Out, ApiError> {
    let me = moderator(&ctx)?;
    moderation::set_user_note(&mut *ctx.db().await?, &me, &p.user_id, &p.text).await?;
    Ok(().into())
}

/// `admin/show-user`: an account as moderators see it (settings, state, note, policies).
pub async fn show_user(ctx: Ctx, p: UserParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let user =
        pack_users::load_one(&mut conn, &p.user_id).await?.filter(|u| !u.is_system).ok_or_else(|| {
            ApiError::client("NO_SUCH_USER", "88d582a4-7d43-4c8f-a1d4-bd8e9d8c5b7f", "No such user.")
        })?;
    #[allow(clippy::type_complexity)]
    let profile: Option<(
        Option<String>,
        bool,
        Option<String>,
        bool,
        bool,
        bool,
        bool,
        bool,
        bool,
        bool,
        bool,
    )> = user_profiles::table
        .find(&user.id)
        .select((
            user_profiles::email,
            user_profiles::email_verified,
            user_profiles::followed_message,
            user_profiles::auto_accept_followed,
            user_profiles::no_crawle,
            user_profiles::prevent_ai_learning,
            user_profiles::always_mark_nsfw,
            user_profiles::auto_sensitive,
            user_profiles::careful_bot,
            user_profiles::inject_featured_note,
            user_profiles::receive_announcement_email,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let extra: Option<(Value, Value, Value)> = user_profiles::table
        .find(&user.id)
        .select((
            user_profiles::muted_words,
            user_profiles::muted_instances,
            user_profiles::notification_recieve_config,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let (p0, p1) = (profile.unwrap_or_default(), extra.unwrap_or((json!([]), json!([]), json!({}))));
    let note = moderation::user_note(&mut conn, &user.id).await?;
    let base = ctx.state.policies.get(&ctx.state.db).await?;
    let held = crate::domain::roles::held_by(&mut conn, &base, &user.id).await?;
    let policies = held.policies.clone();
    Ok(json!({
        "email": p0.0,
        "emailVerified": p0.1,
        "followedMessage": p0.2,
        "autoAcceptFollowed": p0.3,
        "noCrawle": p0.4,
        "preventAiLearning": p0.5,
        "alwaysMarkNsfw": p0.6,
        "autoSensitive": p0.7,
        "carefulBot": p0.8,
        "injectFeaturedNote": p0.9,
        "receiveAnnouncementEmail": p0.10,
        "mutedWords": p1.0,
        "mutedInstances": p1.1,
        "notificationRecieveConfig": p1.2,
        "isModerator": user.is_moderator || user.is_admin || user.is_root,
        "isSilenced": user.host.as_deref().is_some_and(crate::domain::federation::silenced),
        "isSuspended": user.is_suspended,
        "isHibernated": false,
        "lastActiveDate": user.last_active_date.map(iso),
        "moderationNote": note,
        "signins": [],
        "policies": &*policies,
        "roles": [],
        "roleAssigns": [],
    })
    .into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShowUsersParams {
    /// 1–100; 10 when absent.
    limit: Option<u32>,
    offset: Option<u32>,
    #[schemars(extend("enum" = ["+follower", "-follower", "+createdAt", "-createdAt", "+updatedAt", "-updatedAt", "+lastActiveDate", "-lastActiveDate"]))]
    sort: Option<String>,
    #[schemars(extend("enum" = ["all", "alive", "available", "admin", "moderator", "adminOrModerator", "suspended"]))]
    state: Option<String>,
    #[schemars(extend("enum" = ["combined", "local", "remote"]))]
    origin: Option<String>,
    username: Option<String>,
    hostname: Option<String>,
}

/// `admin/show-users`: accounts filtered by state, origin, username and host.
pub async fn show_users(ctx: Ctx, p: ShowUsersParams) -> Result<Out, ApiError> {
    let limit = super::params::limit(p.limit, 10)?;
    let mut q = users::table.filter(users::is_system.eq(false)).into_boxed();
    q = match p.state.as_deref().unwrap_or("all") {
        "all" => q,
        "available" | "alive" => q.filter(users::is_suspended.eq(false)),
        "admin" => q.filter(users::is_admin.eq(true).or(users::is_root.eq(true))),
        "moderator" => q.filter(users::is_moderator.eq(true)),
        "adminOrModerator" => {
            q.filter(users::is_admin.eq(true).or(users::is_root.eq(true)).or(users::is_moderator.eq(true)))
        }
        "suspended" => q.filter(users::is_suspended.eq(true)),
        _ => return Err(ApiError::invalid_param("state", "unknown state")),
    };
    q = match p.origin.as_deref().unwrap_or("combined") {
        "combined" => q,
        "local" => q.filter(users::host.is_null()),
        "remote" => q.filter(users::host.is_not_null()),
        _ => return Err(ApiError::invalid_param("origin", "must be combined, local or remote")),
    };
    let like = |s: &str| format!("{}%", crate::db::like_escape(&s.to_lowercase()));
    if let Some(name) = p.username.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(users::username_lower.like(like(name)));
    }
    if let Some(host) = p.hostname.as_deref().filter(|s| !s.is_empty()) {
        let host = host.trim().to_lowercase();
        q = if host == ctx.state.config.host() {
            q.filter(users::host.is_null())
        } else {
            q.filter(users::host.like(like(&host)))
        };
    }
    q = match p.sort.as_deref().unwrap_or("-createdAt") {
        "+follower" => q.order((users::followers_count.desc(), users::id.desc())),
        "-follower" => q.order((users::followers_count.asc(), users::id.asc())),
        "+createdAt" => q.order(users::id.desc()),
        "-createdAt" => q.order(users::id.asc()),
        "+updatedAt" => q.order((users::updated_at.desc().nulls_last(), users::id.desc())),
        "-updatedAt" => q.order((users::updated_at.asc().nulls_first(), users::id.asc())),
        "+lastActiveDate" => q.order((users::last_active_date.desc().nulls_last(), users::id.desc())),
        "-lastActiveDate" => q.order((users::last_active_date.asc().nulls_first(), users::id.asc())),
        _ => return Err(ApiError::invalid_param("sort", "unknown sort")),
    };
    let mut conn = ctx.db().await?;
    let rows: Vec<UserRow> = q
        .offset(i64::from(p.offset.unwrap_or(0)))
        .limit(i64::from(limit))
        .select(UserRow::as_select())
        .load(&mut conn)
        .await?;
    Ok(Value::Array(pack_users::detailed(&mut conn, &ctx.state.config.url, ctx.me_id(), &rows).await?).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportsParams {
    #[serde(flatten)]
    page: Page,
    /// `resolved`, `unresolved`, or null for all.
    #[serde(default)]
    state: Option<String>,
    #[schemars(extend("enum" = ["combined", "local", "remote"]))]
    reporter_origin: Option<String>,
    #[schemars(extend("enum" = ["combined", "local", "remote"]))]
    target_user_origin: Option<String>,
}

#[derive(Queryable)]
struct ReportRow {
    id: String,
    created_at: DateTime<Utc>,
    target: String,
    reporter: String,
    comment: String,
    resolved: bool,
    assignee: Option<String>,
    resolved_as: Option<String>,
    forwarded: bool,
    note: String,
}

/// `admin/abuse-user-reports`: reports, newest first, by state and by where the reporter and
/// the reported account are.
pub async fn reports(ctx: Ctx, p: ReportsParams) -> Result<Out, ApiError> {
    let b = p.page.bounds(10)?;
    let origin = |o: Option<&str>, param| match o.unwrap_or("combined") {
        "combined" => Ok(None),
        "local" => Ok(Some(true)),
        "remote" => Ok(Some(false)),
        _ => Err(ApiError::invalid_param(param, "must be combined, local or remote")),
    };
    let reporter_local = origin(p.reporter_origin.as_deref(), "reporterOrigin")?;
    let target_local = origin(p.target_user_origin.as_deref(), "targetUserOrigin")?;
    let mut q = abuse_user_reports::table.into_boxed();
    q = match p.state.as_deref() {
        None | Some("") => q,
        Some("resolved") => q.filter(abuse_user_reports::resolved.eq(true)),
        Some("unresolved") => q.filter(abuse_user_reports::resolved.eq(false)),
        Some(_) => return Err(ApiError::invalid_param("state", "must be resolved, unresolved or null")),
    };
    let hosted = |local: bool| {
        let q = users::table.select(users::id);
        if local {
            q.filter(users::host.is_null()).into_boxed()
        } else {
            q.filter(users::host.is_not_null()).into_boxed()
        }
    };
    if let Some(local) = reporter_local {
        q = q.filter(abuse_user_reports::reporter_id.eq_any(hosted(local)));
    }
    if let Some(local) = target_local {
        q = q.filter(abuse_user_reports::target_user_id.eq_any(hosted(local)));
    }
    q = paginate!(q, abuse_user_reports::id, b);
    let mut conn = ctx.db().await?;
    let rows: Vec<ReportRow> = q
        .select((
            abuse_user_reports::id,
            abuse_user_reports::created_at,
            abuse_user_reports::target_user_id,
            abuse_user_reports::reporter_id,
            abuse_user_reports::comment,
            abuse_user_reports::resolved,
            abuse_user_reports::assignee_id,
            abuse_user_reports::resolved_as,
            abuse_user_reports::forwarded,
            abuse_user_reports::moderation_note,
        ))
        .limit(b.limit)
        .load(&mut conn)
        .await?;
    let ids = rows
        .iter()
        .flat_map(|r| [r.target.clone(), r.reporter.clone()].into_iter().chain(r.assignee.clone()))
        .collect();
    let users = packed_users(&ctx, &mut conn, ids).await?;
    let out: Vec<Value> = rows
        .into_iter()
        // A report whose reporter or target is gone has nothing left to act on.
        .filter(|r| users.contains_key(&r.reporter) && users.contains_key(&r.target))
        .map(|r| {
            json!({
                "id": r.id,
                "createdAt": iso(r.created_at),
                "comment": r.comment,
                "resolved": r.resolved,
                "reporterId": r.reporter,
                "targetUserId": r.target,
                "assigneeId": r.assignee,
                "reporter": users.get(&r.reporter),
                "targetUser": users.get(&r.target),
                "assignee": r.assignee.as_ref().and_then(|a| users.get(a)),
                "forwarded": r.forwarded,
                "resolvedAs": r.resolved_as,
                "moderationNote": r.note,
            })
        })
        .collect();
    Ok(Value::Array(out).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolveParams {
    report_id: String,
    #[schemars(extend("enum" = ["accept", "reject", null]))]
    resolved_as: Option<String>,
}

pub async fn resolve_report(ctx: Ctx, p: ResolveParams) -> Result<Out, ApiError> {
    let me = moderator(&ctx)?;
    let resolution = match p.resolved_as.as_deref() {
        None => None,
        Some("accept") => Some(Resolution::Accept),
        Some("reject") => Some(Resolution::Reject),
        Some(_) => return Err(ApiError::invalid_param("resolvedAs", "must be accept, reject or null")),
    };
    moderation::resolve_report(&mut *ctx.db().await?, &me, &p.report_id, resolution).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportParams {
    report_id: String,
}

pub async fn forward_report(ctx: Ctx, p: ReportParams) -> Result<Out, ApiError> {
    let me = moderator(&ctx)?;
    moderation::forward_report(&mut *ctx.db().await?, &me, &p.report_id).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogsParams {
    #[serde(flatten)]
    page: Page,
    /// Only entries of this type (`suspend`, `resolveAbuseReport`, …).
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Only entries by this moderator.
    user_id: Option<String>,
    /// Only entries whose details contain this text.
    search: Option<String>,
}

/// `admin/show-moderation-logs`: who did what, newest first.
pub async fn logs(ctx: Ctx, p: LogsParams) -> Result<Out, ApiError> {
    let b = p.page.bounds(10)?;
    let mut q = moderation_logs::table.into_boxed();
    if let Some(kind) = p.kind.filter(|k| !k.is_empty()) {
        q = q.filter(moderation_logs::type_.eq(kind));
    }
    if let Some(user) = p.user_id.filter(|u| !u.is_empty()) {
        q = q.filter(moderation_logs::user_id.eq(user));
    }
    if let Some(text) = p.search.filter(|s| !s.is_empty()) {
        let esc = crate::db::like_escape(&text);
        q = q.filter(diesel::dsl::sql::<diesel::sql_types::Text>("info::text").ilike(format!("%{esc}%")));
    }
    q = paginate!(q, moderation_logs::id, b);
    let mut conn = ctx.db().await?;
    let rows: Vec<(String, DateTime<Utc>, String, String, Value)> = q
        .select((
            moderation_logs::id,
            moderation_logs::created_at,
            moderation_logs::user_id,
            moderation_logs::type_,
            moderation_logs::info,
        ))
        .limit(b.limit)
        .load(&mut conn)
        .await?;
    let users = packed_users(&ctx, &mut conn, rows.iter().map(|r| r.2.clone()).collect()).await?;
    let out: Vec<Value> = rows
        .into_iter()
        .filter_map(|(id, at, user, kind, info)| {
            let u = users.get(&user)?;
            Some(json!({ "id": id, "createdAt": iso(at), "type": kind, "info": info, "userId": user, "user": u }))
        })
        .collect();
    Ok(Value::Array(out).into())
}

/// `i/delete-account`: the caller deletes their own account (password, and a code while
/// two-factor sign-in is on). Its content goes in the background.
pub async fn delete_own_account(ctx: Ctx, p: super::twofactor::ConfirmParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    super::twofactor::confirm(&ctx, &mut conn, &me, &p, "44326b04-08ea-4525-b01c-98cc117bdd2a").await?;
    crate::domain::deletion::request(&mut conn, &me, None).await?;
    ctx.api.tokens.forget_user(&me);
    Ok(().into())
}

/// `admin/delete-account`: an administrator deletes a local account. Logged.
pub async fn delete_account(ctx: Ctx, p: UserParams) -> Result<Out, ApiError> {
    let me = moderator(&ctx)?;
    crate::domain::deletion::request(&mut *ctx.db().await?, &p.user_id, Some(&me)).await?;
    ctx.api.tokens.forget_user(&p.user_id);
    Ok(().into())
}
