//! Roles: the administrators' `admin/roles/*` and everyone's `roles/*`. The rules are
//! `domain::roles`.

use super::endpoint::{Ctx, Out};
use super::pack::{roles as pack, users as pack_users};
use super::timelines::Page;
use super::ApiError;
use crate::domain::roles::{self as dom, Fields, RoleRow};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// The fields of a role as `admin/roles/create` and `update` take them.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleParams {
    /// 1–256 characters.
    #[schemars(length(min = 1, max = 256))]
    name: Option<String>,
    #[schemars(length(max = 1024))]
    description: Option<String>,
    /// `#rrggbb`; null for none.
    #[serde(default, deserialize_with = "super::params::nullable")]
    color: Option<Option<String>>,
    /// An http(s) URL; null for none.
    #[serde(default, deserialize_with = "super::params::nullable")]
    icon_url: Option<Option<String>>,
    /// manual (given by moderators) or conditional (held while `condFormula` holds).
    #[schemars(regex(pattern = r"^(manual|conditional)$"))]
    target: Option<String>,
    /// Misskey's RoleCondFormulaValue: and/or/not of isLocal, isRemote, isSuspended, isLocked,
    /// isBot, isCat, isExplorable, roleAssignedTo, createdLessThan/MoreThan (sec),
    /// followers/following/notes LessThanOrEq/MoreThanOrEq (value).
    cond_formula: Option<Value>,
    is_public: Option<bool>,
    is_moderator: Option<bool>,
    is_administrator: Option<bool>,
    is_explorable: Option<bool>,
    as_badge: Option<bool>,
    preserve_assignment_on_move_account: Option<bool>,
    can_edit_members_by_moderator: Option<bool>,
    display_order: Option<i32>,
    /// Policy name → { useDefault, priority (0–2), value }.
    policies: Option<Value>,
}

impl From<RoleParams> for Fields {
    fn from(p: RoleParams) -> Fields {
        Fields {
            name: p.name,
            description: p.description,
            color: p.color,
            icon_url: p.icon_url,
            target: p.target,
            cond_formula: p.cond_formula,
            is_public: p.is_public,
            is_moderator: p.is_moderator,
            is_administrator: p.is_administrator,
            is_explorable: p.is_explorable,
            as_badge: p.as_badge,
            preserve_assignment_on_move_account: p.preserve_assignment_on_move_account,
            can_edit_members_by_moderator: p.can_edit_members_by_moderator,
            display_order: p.display_order,
            policies: p.policies,
        }
    }
}

async fn packed(ctx: &Ctx, rows: &[RoleRow]) -> Result<Value, ApiError> {
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let counts = dom::member_counts(&mut *ctx.db().await?, &ids).await?;
    Ok(Value::Array(rows.iter().map(|r| pack::role(r, counts.get(&r.id).copied().unwrap_or(0))).collect()))
}

pub async fn create(ctx: Ctx, p: RoleParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let r = dom::create(&mut *ctx.db().await?, &me, p.into()).await?;
    Ok(pack::role(&r, 0).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateParams {
    role_id: String,
    #[serde(flatten)]
    fields: RoleParams,
}

pub async fn update(ctx: Ctx, p: UpdateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    dom::update(&mut *ctx.db().await?, &me, &p.role_id, p.fields.into()).await?;
    ctx.api.tokens.clear();
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleIdParams {
    role_id: String,
}

pub async fn delete(ctx: Ctx, p: RoleIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    dom::delete(&mut *ctx.db().await?, &me, &p.role_id).await?;
    ctx.api.tokens.clear();
    Ok(().into())
}

pub async fn show(ctx: Ctx, p: RoleIdParams) -> Result<Out, ApiError> {
    let r = dom::show(&mut *ctx.db().await?, &p.role_id).await?;
    Ok(packed(&ctx, std::slice::from_ref(&r)).await?[0].clone().into())
}

#[derive(Deserialize, JsonSchema)]
pub struct NoParams {}

pub async fn list(ctx: Ctx, _p: NoParams) -> Result<Out, ApiError> {
    let rows = dom::all(&mut *ctx.db().await?).await?;
    Ok(packed(&ctx, &rows).await?.into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignParams {
    role_id: String,
    user_id: String,
    /// Milliseconds since the epoch; null: no end.
    expires_at: Option<i64>,
}

pub async fn assign(ctx: Ctx, p: AssignParams) -> Result<Out, ApiError> {
    let me = ctx.me()?;
    let expires = match p.expires_at {
        None => None,
        Some(ms) => Some(
            chrono::DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| ApiError::invalid_param("expiresAt", "not a time"))?,
        ),
    };
    let admin = me.is_root || me.is_admin;
    dom::assign(&mut *ctx.db().await?, &me.id, admin, &p.role_id, &p.user_id, expires).await?;
    ctx.api.tokens.forget_user(&p.user_id);
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnassignParams {
    role_id: String,
    user_id: String,
}

pub async fn unassign(ctx: Ctx, p: UnassignParams) -> Result<Out, ApiError> {
    let me = ctx.me()?;
    let admin = me.is_root || me.is_admin;
    dom::unassign(&mut *ctx.db().await?, &me.id, admin, &p.role_id, &p.user_id).await?;
    ctx.api.tokens.forget_user(&p.user_id);
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsersParams {
    role_id: String,
    #[serde(flatten)]
    page: Page,
}

/// The holders of a role by hand, each `{ id, createdAt, user, expiresAt }` (`admin`) or
/// `{ id, user }`.
async fn holders(ctx: &Ctx, role: &RoleRow, page: &Page, admin: bool) -> Result<Value, ApiError> {
    let b = page.bounds(10)?;
    let mut conn = ctx.db().await?;
    let rows = dom::members(&mut conn, &role.id, &b).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let users = crate::db::users::load(&mut conn, &ids).await?;
    let ordered: Vec<_> = ids.iter().filter_map(|id| users.get(id).cloned()).collect();
    let packed = pack_users::detailed(&mut conn, &ctx.state.config.url, ctx.me_id(), &ordered).await?;
    let by_id: std::collections::HashMap<String, Value> =
        ordered.iter().map(|u| u.id.clone()).zip(packed).collect();
    Ok(Value::Array(
        rows.iter()
            .filter_map(|(id, user, at, until)| {
                let u = by_id.get(user)?.clone();
                Some(if admin {
                    json!({ "id": id, "createdAt": super::pack::iso(*at), "user": u, "expiresAt": until.map(super::pack::iso) })
                } else {
                    json!({ "id": id, "user": u })
                })
            })
            .collect(),
    ))
}

pub async fn users(ctx: Ctx, p: UsersParams) -> Result<Out, ApiError> {
    let r = dom::find_for_members(&mut *ctx.db().await?, &p.role_id).await?;
    Ok(holders(&ctx, &r, &p.page, true).await?.into())
}

pub async fn public_list(ctx: Ctx, _p: NoParams) -> Result<Out, ApiError> {
    let rows: Vec<RoleRow> = dom::all(&mut *ctx.db().await?)
        .await?
        .into_iter()
        .filter(|r| r.is_public && r.is_explorable)
        .collect();
    Ok(packed(&ctx, &rows).await?.into())
}

pub async fn public_show(ctx: Ctx, p: RoleIdParams) -> Result<Out, ApiError> {
    let r = dom::show_public(&mut *ctx.db().await?, &p.role_id, false).await?;
    Ok(packed(&ctx, std::slice::from_ref(&r)).await?[0].clone().into())
}

pub async fn public_users(ctx: Ctx, p: UsersParams) -> Result<Out, ApiError> {
    let r = dom::show_public(&mut *ctx.db().await?, &p.role_id, true).await?;
    Ok(holders(&ctx, &r, &p.page, false).await?.into())
}

/// `roles/notes` parameters.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotesParams {
    role_id: String,
    #[serde(flatten)]
    page: Page,
}

/// Public notes of the holders of a public role (none when it is not explorable).
pub async fn public_notes(ctx: Ctx, p: NotesParams) -> Result<Out, ApiError> {
    let b = p.page.bounds(10)?;
    let Some(role) = dom::for_notes(&mut *ctx.db().await?, &p.role_id).await? else {
        return Ok(Value::Array(vec![]).into());
    };
    super::timelines::run(&ctx, |b| crate::domain::timelines::role(ctx.me_id(), &role, b), &b).await
}
