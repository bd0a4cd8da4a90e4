//! Announcements: `announcements`, `announcements/show`, `i/read-announcement` and the
//! moderators' `admin/announcements/*`. The rules are `domain::announcements`.

use super::endpoint::{Ctx, Out};
use super::pack::announcements as pack;
use super::timelines::Page;
use super::ApiError;
use crate::domain::announcements::{self as dom, Fields, Status};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    #[serde(flatten)]
    page: Page,
    /// Current announcements (default) or ended ones.
    is_active: Option<bool>,
}

pub async fn list(ctx: Ctx, p: ListParams) -> Result<Out, ApiError> {
    let b = p.page.bounds(10)?;
    let me = ctx.me_id();
    let rows = dom::page(&mut *ctx.db().await?, me, p.is_active.unwrap_or(true), &b).await?;
    Ok(Value::Array(rows.iter().map(|(a, read)| pack::announcement(a, me, *read)).collect()).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShowParams {
    announcement_id: String,
}

pub async fn show(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    let me = ctx.me_id();
    let (a, read) = dom::show(&mut *ctx.db().await?, me, &p.announcement_id).await?;
    Ok(pack::announcement(&a, me, read).into())
}

pub async fn read(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    dom::read(&mut *ctx.db().await?, &me, &p.announcement_id).await?;
    Ok(().into())
}

/// What an announcement's create and update both take.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    /// info (default), warning, error or success.
    #[schemars(regex(pattern = r"^(info|warning|error|success)$"))]
    icon: Option<String>,
    /// normal (default), banner or dialog.
    #[schemars(regex(pattern = r"^(normal|banner|dialog)$"))]
    display: Option<String>,
    /// Shown only to accounts that exist when it is made.
    for_existing_users: Option<bool>,
    /// Listed, but never shown as unread.
    silence: Option<bool>,
    need_confirmation_to_read: Option<bool>,
}

impl Shown {
    /// The fields of the domain's announcement, with the rest given.
    fn with(self, title: Option<String>, text: Option<String>, image_url: Option<Option<String>>) -> Fields {
        Fields {
            title,
            text,
            image_url,
            icon: self.icon,
            display: self.display,
            for_existing_users: self.for_existing_users,
            silence: self.silence,
            need_confirmation_to_read: self.need_confirmation_to_read,
            is_active: None,
        }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateParams {
    /// 1–256 characters.
    #[schemars(length(min = 1, max = 256))]
    title: String,
    /// 1–8192 characters (MFM).
    #[schemars(length(min = 1, max = 8192))]
    text: String,
    /// An http(s) URL; null or "" for none.
    #[serde(default)]
    image_url: Option<String>,
    #[serde(flatten)]
    shown: Shown,
    /// For this user only (null: everyone).
    user_id: Option<String>,
}

pub async fn create(ctx: Ctx, p: CreateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let f = p.shown.with(Some(p.title), Some(p.text), Some(p.image_url));
    let a = dom::create(&mut *ctx.db().await?, &me, f, p.user_id.as_deref()).await?;
    Ok(pack::admin(&a, 0).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateParams {
    id: String,
    #[schemars(length(min = 1, max = 256))]
    title: Option<String>,
    #[schemars(length(min = 1, max = 8192))]
    text: Option<String>,
    /// null or "" removes the image.
    #[serde(default, deserialize_with = "super::params::nullable")]
    image_url: Option<Option<String>>,
    #[serde(flatten)]
    shown: Shown,
    /// false ends it (it moves to the archive).
    is_active: Option<bool>,
}

pub async fn update(ctx: Ctx, p: UpdateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let f = Fields { is_active: p.is_active, ..p.shown.with(p.title, p.text, p.image_url) };
    dom::update(&mut *ctx.db().await?, &me, &p.id, f).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteParams {
    id: String,
}

pub async fn delete(ctx: Ctx, p: DeleteParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    dom::delete(&mut *ctx.db().await?, &me, &p.id).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminListParams {
    #[serde(flatten)]
    page: Page,
    /// One user's announcements (default: everyone's).
    user_id: Option<String>,
    /// all (default), active or archived.
    #[schemars(regex(pattern = r"^(all|active|archived)$"))]
    status: Option<String>,
}

pub async fn admin_list(ctx: Ctx, p: AdminListParams) -> Result<Out, ApiError> {
    let b = p.page.bounds(10)?;
    let status = match p.status.as_deref() {
        None | Some("all") => Status::All,
        Some("active") => Status::Active,
        Some("archived") => Status::Archived,
        Some(_) => return Err(ApiError::invalid_param("status", "must be all, active or archived")),
    };
    let rows = dom::admin_page(&mut *ctx.db().await?, p.user_id.as_deref(), status, &b).await?;
    Ok(Value::Array(rows.iter().map(|(a, n)| pack::admin(a, *n)).collect()).into())
}
