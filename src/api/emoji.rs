//! emojis, emoji and admin/emoji/*: parse, call `domain::emoji`, pack EmojiSimple and
//! EmojiDetailed.

use super::endpoint::{Ctx, Out};
use super::pack::emoji::{detailed, simple};
use super::params::AtMost;
use super::timelines::{paginate, Page};
use super::ApiError;
use crate::db::schema::emojis;
use crate::domain::emoji::{self as dom, EmojiRow, Fields};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

pub async fn list_public(ctx: Ctx, _: super::accounts::NoParams) -> Result<Out, ApiError> {
    let local = dom::local(&mut *ctx.db().await?).await?;
    let mut all: Vec<&EmojiRow> = local.values().collect();
    all.sort_by(|a, b| (&a.category, &a.name).cmp(&(&b.category, &b.name)));
    Ok(json!({ "emojis": all.into_iter().map(simple).collect::<Vec<_>>() }).into())
}

#[derive(Deserialize, JsonSchema)]
pub struct NameParams {
    name: String,
}

pub async fn show_public(ctx: Ctx, p: NameParams) -> Result<Out, ApiError> {
    let local = dom::local(&mut *ctx.db().await?).await?;
    let e = local.get(&p.name).ok_or(crate::domain::Error::from(crate::domain::Refusal::NoSuchEmoji))?;
    Ok(detailed(e).into())
}

fn me(ctx: &Ctx) -> Result<String, ApiError> {
    Ok(ctx.me()?.id.clone())
}

/// What an administrator may set of an emoji besides its name and image.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmojiFields {
    #[serde(default, deserialize_with = "super::params::nullable")]
    category: Option<Option<String>>,
    aliases: Option<AtMost<64, String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    license: Option<Option<String>>,
    is_sensitive: Option<bool>,
    local_only: Option<bool>,
    role_ids_that_can_be_used_this_emoji_as_reaction: Option<AtMost<64, String>>,
}

impl EmojiFields {
    fn with(self, name: Option<String>, file_id: Option<String>) -> Fields {
        Fields {
            name,
            file_id,
            category: self.category,
            aliases: self.aliases.map(|a| a.0),
            license: self.license,
            is_sensitive: self.is_sensitive,
            local_only: self.local_only,
            roles: self.role_ids_that_can_be_used_this_emoji_as_reaction.map(|a| a.0),
        }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddParams {
    /// Letters, digits and `_`.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_]+$"), length(max = 128))]
    name: String,
    /// A drive image.
    file_id: String,
    #[serde(flatten)]
    fields: EmojiFields,
}

pub async fn add(ctx: Ctx, p: AddParams) -> Result<Out, ApiError> {
    let by = me(&ctx)?;
    let e = dom::add(&mut *ctx.db().await?, &by, p.fields.with(Some(p.name), Some(p.file_id))).await?;
    Ok(detailed(&e).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateParams {
    /// The emoji (or give its `name`).
    id: Option<String>,
    /// Its new name when `id` is given, else the emoji to change.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_]+$"), length(max = 128))]
    name: Option<String>,
    file_id: Option<String>,
    #[serde(flatten)]
    fields: EmojiFields,
}

pub async fn update(ctx: Ctx, p: UpdateParams) -> Result<Out, ApiError> {
    let by = me(&ctx)?;
    dom::update(&mut *ctx.db().await?, &by, p.id.as_deref(), p.fields.with(p.name, p.file_id)).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
pub struct IdParams {
    id: String,
}

pub async fn delete(ctx: Ctx, p: IdParams) -> Result<Out, ApiError> {
    let by = me(&ctx)?;
    dom::delete(&mut *ctx.db().await?, &by, &p.id).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CopyParams {
    emoji_id: String,
}

pub async fn copy(ctx: Ctx, p: CopyParams) -> Result<Out, ApiError> {
    let by = me(&ctx)?;
    let e = dom::copy(&mut *ctx.db().await?, &by, &p.emoji_id).await?;
    Ok(json!({ "id": e.id }).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    #[serde(flatten)]
    page: Page,
    /// Part of a name.
    query: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListRemoteParams {
    #[serde(flatten)]
    page: Page,
    /// Part of a name.
    query: Option<String>,
    /// A server's host (null: this one).
    host: Option<String>,
}

async fn list_where(
    ctx: &Ctx,
    page: &Page,
    query: Option<&str>,
    host: Option<Option<&str>>,
) -> Result<Out, ApiError> {
    let b = page.bounds(10)?;
    let mut q = emojis::table.select(EmojiRow::as_select()).into_boxed();
    match host {
        Some(Some(h)) => q = q.filter(emojis::host.eq(h.to_ascii_lowercase())),
        Some(None) => q = q.filter(emojis::host.is_null()),
        None => q = q.filter(emojis::host.is_not_null()),
    }
    if let Some(s) = query.filter(|s| !s.is_empty()) {
        if s.len() > 128 {
            return Err(ApiError::invalid_param("query", "at most 128 characters"));
        }
        let like = format!("%{}%", s.replace(['%', '_', '\\'], ""));
        q = q.filter(emojis::name.ilike(like));
    }
    let rows: Vec<EmojiRow> = paginate!(q, emojis::id, b).limit(b.limit).load(&mut *ctx.db().await?).await?;
    Ok(Value::Array(rows.iter().map(detailed).collect()).into())
}

pub async fn list(ctx: Ctx, p: ListParams) -> Result<Out, ApiError> {
    list_where(&ctx, &p.page, p.query.as_deref(), Some(None)).await
}

pub async fn list_remote(ctx: Ctx, p: ListRemoteParams) -> Result<Out, ApiError> {
    let host = p.host.as_deref().map(Some);
    list_where(&ctx, &p.page, p.query.as_deref(), host).await
}

/// Queues the export of the instance's emoji as a pack into the caller's drive (tells through
/// `driveFileCreated` on the main channel).
pub async fn export(ctx: Ctx, _: super::accounts::NoParams) -> Result<Out, ApiError> {
    let job = crate::domain::jobs::Job::ExportEmojis { user: me(&ctx)? };
    crate::domain::jobs::enqueue(&mut *ctx.db().await?, &[(job, chrono::Utc::now())]).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportParams {
    /// An emoji pack (zip with meta.json) in the caller's drive.
    file_id: String,
}

/// Queues the import of an emoji pack.
pub async fn import_zip(ctx: Ctx, p: ImportParams) -> Result<Out, ApiError> {
    let user = me(&ctx)?;
    let job = crate::domain::jobs::Job::ImportEmojis { user, file_id: p.file_id };
    crate::domain::jobs::enqueue(&mut *ctx.db().await?, &[(job, chrono::Utc::now())]).await?;
    Ok(().into())
}
