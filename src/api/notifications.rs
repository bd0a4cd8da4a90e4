//! i/notifications, i/notifications-grouped, notifications/mark-all-as-read and flush.

use super::endpoint::{Ctx, Out};
use super::pack::notifications::{self as pack_n, NotificationRow};
use super::timelines::{paginate, Page};
use super::ApiError;
use crate::db::schema::notifications;
use crate::domain::visibility;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

pub const TYPES: &[&str] = &[
    "note",
    "follow",
    "mention",
    "reply",
    "renote",
    "quote",
    "reaction",
    "pollEnded",
    "receiveFollowRequest",
    "followRequestAccepted",
    "roleAssigned",
    "chatRoomInvitationReceived",
    "achievementEarned",
    "exportCompleted",
    "login",
    "createToken",
    "app",
    "test",
    "scheduledNotePosted",
    "scheduledNotePostFailed",
    "reaction:grouped",
    "renote:grouped",
    "pollVote",
    "groupInvited",
];

fn yes() -> bool {
    true
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    #[serde(flatten)]
    page: Page,
    #[serde(default = "yes")]
    mark_as_read: bool,
    include_types: Option<Vec<String>>,
    exclude_types: Option<Vec<String>>,
}

fn check_types(param: &str, t: &Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let list = t.clone().unwrap_or_default();
    if let Some(bad) = list.iter().find(|x| !TYPES.contains(&x.as_str())) {
        return Err(ApiError::invalid_param(param, format!("unknown notification type {bad:?}")));
    }
    // Grouped types select their plain kind.
    Ok(list.into_iter().map(|x| x.trim_end_matches(":grouped").to_string()).collect())
}

async fn fetch(ctx: &Ctx, p: &ListParams) -> Result<Vec<Value>, ApiError> {
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(10)?;
    let include = check_types("includeTypes", &p.include_types)?;
    let exclude = check_types("excludeTypes", &p.exclude_types)?;
    let mut conn = ctx.db().await?;
    let (ex, _) = visibility::exclusions(&mut conn, &me).await?;
    let mut q = notifications::table.filter(notifications::notifiee_id.eq(&me)).into_boxed();
    if !include.is_empty() {
        q = q.filter(notifications::kind.eq_any(include));
    }
    if !exclude.is_empty() {
        q = q.filter(notifications::kind.ne_all(exclude));
    }
    if !ex.is_empty() {
        q = q.filter(notifications::notifier_id.is_null().or(notifications::notifier_id.ne_all(ex)));
    }
    q = paginate!(q, notifications::id, b);
    let rows: Vec<NotificationRow> =
        q.select(NotificationRow::as_select()).limit(b.limit).load(&mut conn).await?;
    if p.mark_as_read && !rows.is_empty() {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        diesel::update(notifications::table.filter(notifications::id.eq_any(ids)))
            .set(notifications::is_read.eq(true))
            .execute(&mut conn)
            .await?;
    }
    pack_n::pack(&mut conn, &ctx.state.config.url, &me, &rows).await
}

pub async fn list(ctx: Ctx, p: ListParams) -> Result<Out, ApiError> {
    Ok(Value::Array(fetch(&ctx, &p).await?).into())
}

pub async fn grouped(ctx: Ctx, p: ListParams) -> Result<Out, ApiError> {
    Ok(Value::Array(pack_n::group(fetch(&ctx, &p).await?)).into())
}

#[derive(Deserialize, JsonSchema)]
pub struct NoParams {}

pub async fn mark_all_read(ctx: Ctx, _: NoParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    crate::domain::notify::read_all(&mut conn, &me).await?;
    Ok(().into())
}

pub async fn flush(ctx: Ctx, _: NoParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    diesel::delete(notifications::table.filter(notifications::notifiee_id.eq(&me)))
        .execute(&mut conn)
        .await?;
    Ok(().into())
}
