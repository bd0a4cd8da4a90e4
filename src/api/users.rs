//! users/*: profiles, follower lists, relations, user search, user lists and abuse reports.

use super::endpoint::{Ctx, Out};
use super::pack::iso;
use super::pack::users::{self as pack_users, Relations, UserRow};
use super::params::AtMost;
use super::timelines::{paginate, Page};
use super::ApiError;
use crate::db::schema::{following, user_list_members, user_lists, users};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShowParams {
    user_id: Option<String>,
    user_ids: Option<Vec<String>>,
    username: Option<String>,
    host: Option<String>,
}

fn no_such_user() -> ApiError {
    ApiError::client("NO_SUCH_USER", "4362f8dc-731f-4ad8-a694-be5a88922a24", "No such user.").with_status(404)
}

pub async fn show(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let base = &ctx.state.config.url;
    let me = ctx.me_id();
    let staff = ctx.me.as_ref().is_some_and(|m| m.is_staff());
    if let Some(ids) = p.user_ids {
        if ids.len() > 100 {
            return Err(ApiError::invalid_param("userIds", "at most 100 ids"));
        }
        let found = pack_users::load(&mut conn, &ids).await?;
        let rows: Vec<UserRow> =
            ids.iter().filter_map(|id| found.get(id).cloned()).filter(|u| staff || !u.is_suspended).collect();
        return Ok(Value::Array(pack_users::detailed(&mut conn, base, me, &rows).await?).into());
    }
    let row: Option<UserRow> = if let Some(id) = p.user_id {
        pack_users::load_one(&mut conn, &id).await?
    } else if let Some(name) = p.username {
        let local = ctx.state.config.host();
        let host: Option<String> =
            p.host.filter(|h| !h.is_empty() && !h.eq_ignore_ascii_case(&local)).map(|h| h.to_lowercase());
        let mut q = users::table.filter(users::username_lower.eq(name.to_lowercase())).into_boxed();
        q = match host {
            Some(ref h) => q.filter(users::host.eq(h.clone())),
            None => q.filter(users::host.is_null()),
        };
        let found = q.select(UserRow::as_select()).first(&mut conn).await.optional()?;
        match (found, &host, &ctx.resolver) {
            // A remote account not met yet is looked up on its server.
            (None, Some(h), Some(fed)) => {
                drop(conn);
                let found = fed.user_by_acct(&name, h).await.map_err(|_| no_such_user())?;
                conn = ctx.db().await?;
                Some(found)
            }
            (found, _, _) => found,
        }
    } else {
        return Err(ApiError::invalid_param("userId", "give userId, userIds, or username"));
    };
    let row = row.filter(|u| (staff || !u.is_suspended) && !u.is_system).ok_or_else(no_such_user)?;
    let v = pack_users::detailed(&mut conn, base, me, std::slice::from_ref(&row)).await?;
    Ok(v.into_iter().next().unwrap_or(Value::Null).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowListParams {
    user_id: Option<String>,
    username: Option<String>,
    host: Option<String>,
    #[serde(flatten)]
    page: Page,
}

async fn follow_list(ctx: Ctx, p: FollowListParams, followers: bool) -> Result<Out, ApiError> {
    let (no_user, forbidden) = if followers {
        (
            ApiError::client("NO_SUCH_USER", "27fa5435-88ab-43de-9360-387de88727cd", "No such user."),
            ApiError::client("FORBIDDEN", "3c6a84db-d619-26af-ca14-06232a21df8a", "Forbidden."),
        )
    } else {
        (
            ApiError::client("NO_SUCH_USER", "63e4aba4-4156-4e53-be25-c9559e42d71b", "No such user."),
            ApiError::client("FORBIDDEN", "f6cdb0df-c19f-ec5c-7dbb-0ba84a1f92ba", "Forbidden."),
        )
    };
    let b = p.page.bounds(10)?;
    let mut conn = ctx.db().await?;
    let target: Option<String> = match (&p.user_id, &p.username) {
        (Some(id), _) => users::table.find(id).select(users::id).first(&mut conn).await.optional()?,
        (None, Some(name)) => {
            let mut q = users::table.filter(users::username_lower.eq(name.to_lowercase())).into_boxed();
            q = match p.host.as_deref().filter(|h| !h.is_empty()) {
                Some(h) => q.filter(users::host.eq(h.to_lowercase())),
                None => q.filter(users::host.is_null()),
            };
            q.select(users::id).first(&mut conn).await.optional()?
        }
        (None, None) => return Err(ApiError::invalid_param("userId", "give userId or username")),
    };
    let target = target.ok_or(no_user)?;
    let me = ctx.me_id();
    if !crate::domain::visibility::may_see_follow_list(&mut conn, me, &target, followers).await? {
        return Err(forbidden);
    }
    let mut q = following::table.into_boxed();
    q = if followers {
        q.filter(following::followee_id.eq(&target))
    } else {
        q.filter(following::follower_id.eq(&target))
    };
    q = paginate!(q, following::id, b);
    let rows: Vec<FollowRow> = q
        .select((following::id, following::created_at, following::follower_id, following::followee_id))
        .limit(b.limit)
        .load(&mut conn)
        .await?;
    let side = if followers { Side::Follower } else { Side::Followee };
    Ok(Value::Array(pack_follows(&mut conn, &ctx.state.config.url, me, &rows, &[side]).await?).into())
}

/// A `following` row: id, created at, follower id, followee id.
pub type FollowRow = (String, chrono::DateTime<Utc>, String, String);

/// Which user of a follow a packed `Following` carries.
#[derive(Clone, Copy, PartialEq)]
pub enum Side {
    Follower,
    Followee,
}

/// Packs follows as Misskey's `Following`, with the chosen sides as `UserDetailed`.
pub async fn pack_follows(
    conn: &mut diesel_async::AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    rows: &[FollowRow],
    sides: &[Side],
) -> Result<Vec<Value>, ApiError> {
    let mut ids: Vec<String> = vec![];
    for (_, _, follower, followee) in rows {
        for side in sides {
            let id = if *side == Side::Follower { follower } else { followee };
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    let found = pack_users::load(conn, &ids).await?;
    let ordered: Vec<UserRow> = ids.iter().filter_map(|id| found.get(id).cloned()).collect();
    let packed = pack_users::detailed(conn, base, me, &ordered).await?;
    let by_id: std::collections::HashMap<&str, &Value> =
        ordered.iter().map(|u| u.id.as_str()).zip(packed.iter()).collect();
    Ok(rows
        .iter()
        .map(|(id, at, follower, followee)| {
            let mut v =
                json!({ "id": id, "createdAt": iso(*at), "followerId": follower, "followeeId": followee });
            for side in sides {
                let (key, other) =
                    if *side == Side::Follower { ("follower", follower) } else { ("followee", followee) };
                if let Some(u) = by_id.get(other.as_str()) {
                    v[key] = (*u).clone();
                }
            }
            v
        })
        .collect())
}

pub async fn followers(ctx: Ctx, p: FollowListParams) -> Result<Out, ApiError> {
    follow_list(ctx, p, true).await
}

pub async fn following_list(ctx: Ctx, p: FollowListParams) -> Result<Out, ApiError> {
    follow_list(ctx, p, false).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", untagged)]
pub enum OneOrMany {
    One(String),
    Many(AtMost<100, String>),
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationParams {
    user_id: OneOrMany,
}

pub async fn relation(ctx: Ctx, p: RelationParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let (ids, many) = match p.user_id {
        OneOrMany::One(id) => (vec![id], false),
        OneOrMany::Many(ids) => (ids.0, true),
    };
    let mut conn = ctx.db().await?;
    let rel = Relations::load(&mut conn, &me, &ids).await?;
    let out: Vec<Value> = ids
        .iter()
        .map(|id| {
            let mut m = rel.of(id);
            m.insert("id".into(), json!(id));
            m.entry("notify").or_insert(json!("none"));
            m.entry("withReplies").or_insert(json!(false));
            Value::Object(m)
        })
        .collect();
    Ok(if many { Value::Array(out) } else { out.into_iter().next().unwrap_or(Value::Null) }.into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchParams {
    query: String,
    offset: Option<i64>,
    limit: Option<u32>,
    origin: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    detail: Option<bool>,
}

/// Users whose username starts with, or whose name contains, the query; active ones first.
pub async fn search(ctx: Ctx, p: SearchParams) -> Result<Out, ApiError> {
    let limit = super::params::limit(p.limit, 10)?;
    let q = p.query.trim().trim_start_matches('@');
    if q.is_empty() {
        return Ok(json!([]).into());
    }
    let esc = crate::db::like_escape(&q.to_lowercase());
    let mut conn = ctx.db().await?;
    let mut query = users::table
        .filter(users::is_suspended.eq(false).and(users::is_system.eq(false)))
        .filter(users::username_lower.like(format!("{esc}%")).or(users::name.ilike(format!("%{esc}%"))))
        .into_boxed();
    query = match p.origin.as_deref() {
        Some("local") => query.filter(users::host.is_null()),
        Some("remote") => query.filter(users::host.is_not_null()),
        Some("combined") | None => query,
        Some(_) => return Err(ApiError::invalid_param("origin", "must be local, remote or combined")),
    };
    let rows: Vec<UserRow> = query
        .order((users::last_active_date.desc().nulls_last(), users::id.desc()))
        .offset(p.offset.unwrap_or(0).max(0))
        .limit(limit as i64)
        .select(UserRow::as_select())
        .load(&mut conn)
        .await?;
    Ok(Value::Array(pack_users::detailed(&mut conn, &ctx.state.config.url, ctx.me_id(), &rows).await?).into())
}

// ---- user lists ----

/// Loads a list owned by `me`, or NO_SUCH_LIST with the endpoint's error id.
pub async fn own_list(
    ctx: &Ctx,
    me: &str,
    list_id: &str,
    err_id: &'static str,
) -> Result<(String, chrono::DateTime<Utc>, String, bool), ApiError> {
    let mut conn = ctx.db().await?;
    user_lists::table
        .filter(user_lists::id.eq(list_id).and(user_lists::user_id.eq(me)))
        .select((user_lists::id, user_lists::created_at, user_lists::name, user_lists::is_public))
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::client("NO_SUCH_LIST", err_id, "No such list."))
}

type ListRow = (String, chrono::DateTime<Utc>, String, bool);

/// Packs user lists with their members, in one query for all of them.
async fn pack_lists(
    conn: &mut diesel_async::AsyncPgConnection,
    lists: Vec<ListRow>,
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<&String> = lists.iter().map(|l| &l.0).collect();
    let rows: Vec<(String, String)> = user_list_members::table
        .filter(user_list_members::user_list_id.eq_any(&ids))
        .order(user_list_members::id.asc())
        .select((user_list_members::user_list_id, user_list_members::user_id))
        .load(conn)
        .await?;
    let mut members: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (list, user) in rows {
        members.entry(list).or_default().push(user);
    }
    Ok(lists
        .into_iter()
        .map(|l| {
            let m = members.remove(&l.0).unwrap_or_default();
            json!({ "id": l.0, "createdAt": iso(l.1), "name": l.2, "isPublic": l.3, "userIds": m })
        })
        .collect())
}

async fn pack_list(conn: &mut diesel_async::AsyncPgConnection, l: ListRow) -> Result<Value, ApiError> {
    Ok(pack_lists(conn, vec![l]).await?.remove(0))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid_param("name", "must be 1 to 100 characters"));
    }
    Ok(())
}

#[derive(Deserialize, JsonSchema)]
pub struct ListCreateParams {
    name: String,
}

pub async fn list_create(ctx: Ctx, p: ListCreateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    check_name(&p.name)?;
    let limit = ctx.policies().await?.user_list_limit as i64;
    let mut conn = ctx.db().await?;
    let have: i64 =
        user_lists::table.filter(user_lists::user_id.eq(&me)).count().get_result(&mut conn).await?;
    if have >= limit {
        return Err(ApiError::client(
            "TOO_MANY_USERLISTS",
            "0cf21a28-7715-4f39-a20d-777bfdb8d138",
            "You cannot create user list any more.",
        ));
    }
    let l = (crate::id::gen(), Utc::now(), p.name, false);
    diesel::insert_into(user_lists::table)
        .values((
            user_lists::id.eq(&l.0),
            user_lists::created_at.eq(l.1),
            user_lists::user_id.eq(&me),
            user_lists::name.eq(&l.2),
        ))
        .execute(&mut conn)
        .await?;
    Ok(pack_list(&mut conn, l).await?.into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListListParams {
    user_id: Option<String>,
}

pub async fn list_list(ctx: Ctx, p: ListListParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let (owner, only_public) = match (&p.user_id, ctx.me_id()) {
        (Some(u), me) => (u.clone(), me != Some(u.as_str())),
        (None, Some(me)) => (me.to_string(), false),
        (None, None) => return Err(ApiError::credential_required()),
    };
    if p.user_id.is_some()
        && users::table.find(&owner).select(users::id).first::<String>(&mut conn).await.optional()?.is_none()
    {
        return Err(ApiError::client(
            "NO_SUCH_USER",
            "a8af4a82-0980-4cc4-a6af-8b0ffd54465e",
            "No such user.",
        ));
    }
    let mut q = user_lists::table.filter(user_lists::user_id.eq(&owner)).into_boxed();
    if only_public {
        q = q.filter(user_lists::is_public.eq(true));
    }
    let lists: Vec<ListRow> = q
        .order(user_lists::id.asc())
        .select((user_lists::id, user_lists::created_at, user_lists::name, user_lists::is_public))
        .load(&mut conn)
        .await?;
    Ok(Value::Array(pack_lists(&mut conn, lists).await?).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListIdParams {
    list_id: String,
    #[serde(default)]
    #[allow(dead_code)]
    for_public: bool,
}

pub async fn list_show(ctx: Ctx, p: ListIdParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let l: Option<(String, chrono::DateTime<Utc>, String, bool, String)> = user_lists::table
        .find(&p.list_id)
        .select((
            user_lists::id,
            user_lists::created_at,
            user_lists::name,
            user_lists::is_public,
            user_lists::user_id,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let l = l.filter(|l| l.3 || ctx.me_id() == Some(l.4.as_str())).ok_or_else(|| {
        ApiError::client("NO_SUCH_LIST", "7bc05c21-1d7a-41ae-88f1-66820f4dc686", "No such list.")
    })?;
    Ok(pack_list(&mut conn, (l.0, l.1, l.2, l.3)).await?.into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListUpdateParams {
    list_id: String,
    name: Option<String>,
    is_public: Option<bool>,
}

pub async fn list_update(ctx: Ctx, p: ListUpdateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut l = own_list(&ctx, &me, &p.list_id, "796666fe-3dff-4d39-becb-8a5932c1d5b7").await?;
    if let Some(n) = &p.name {
        check_name(n)?;
        l.2 = n.clone();
    }
    if let Some(pb) = p.is_public {
        l.3 = pb;
    }
    let mut conn = ctx.db().await?;
    diesel::update(user_lists::table.find(&l.0))
        .set((user_lists::name.eq(&l.2), user_lists::is_public.eq(l.3)))
        .execute(&mut conn)
        .await?;
    Ok(pack_list(&mut conn, l).await?.into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListDeleteParams {
    list_id: String,
}

pub async fn list_delete(ctx: Ctx, p: ListDeleteParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let l = own_list(&ctx, &me, &p.list_id, "78436795-db79-42f5-b1e2-55ea2cf19166").await?;
    let mut conn = ctx.db().await?;
    diesel::delete(user_lists::table.find(&l.0)).execute(&mut conn).await?;
    list_changed(&l.0);
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListMemberParams {
    list_id: String,
    user_id: String,
}

pub async fn list_push(ctx: Ctx, p: ListMemberParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let l = own_list(&ctx, &me, &p.list_id, "2214501d-ac96-4049-b717-91e42272a711").await?;
    let mut conn = ctx.db().await?;
    if pack_users::load_one(&mut conn, &p.user_id).await?.is_none() {
        return Err(ApiError::client(
            "NO_SUCH_USER",
            "a89abd3d-f0bc-4cce-beb1-2f446f4f1e6a",
            "No such user.",
        ));
    }
    if p.user_id != me && crate::domain::visibility::blocks(&mut conn, &p.user_id, &me).await? {
        return Err(ApiError::client(
            "YOU_HAVE_BEEN_BLOCKED",
            "990232c5-3f9d-4d83-9f3f-ef27b6332a4b",
            "You cannot push this user because you have been blocked by this user.",
        ));
    }
    let limit = ctx.policies().await?.user_each_user_lists_limit as i64;
    let have: i64 = user_list_members::table
        .filter(user_list_members::user_list_id.eq(&l.0))
        .count()
        .get_result(&mut conn)
        .await?;
    if have >= limit {
        return Err(ApiError::client(
            "TOO_MANY_USERS",
            "2dd9752e-a338-413d-8eec-41814430989b",
            "You can not push users any more.",
        ));
    }
    let n = diesel::insert_into(user_list_members::table)
        .values((
            user_list_members::id.eq(crate::id::gen()),
            user_list_members::created_at.eq(Utc::now()),
            user_list_members::user_list_id.eq(&l.0),
            user_list_members::user_id.eq(&p.user_id),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    if n == 0 {
        return Err(ApiError::client(
            "ALREADY_ADDED",
            "1de7c884-1595-49e9-857e-61f12f4d4fc5",
            "That user has already been added to that list.",
        ));
    }
    list_changed(&l.0);
    Ok(().into())
}

/// Tells the list's streams that its members changed.
fn list_changed(id: &str) {
    crate::domain::events::emit(crate::domain::events::Event::ListChanged { id: id.to_string() });
}

pub async fn list_pull(ctx: Ctx, p: ListMemberParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let l = own_list(&ctx, &me, &p.list_id, "7f44670e-ab16-43b8-b4c1-ccd2ee89cc02").await?;
    let mut conn = ctx.db().await?;
    if pack_users::load_one(&mut conn, &p.user_id).await?.is_none() {
        return Err(ApiError::client(
            "NO_SUCH_USER",
            "588e7f72-c744-4a61-b180-d354e912bda2",
            "No such user.",
        ));
    }
    diesel::delete(
        user_list_members::table
            .filter(user_list_members::user_list_id.eq(&l.0).and(user_list_members::user_id.eq(&p.user_id))),
    )
    .execute(&mut conn)
    .await?;
    list_changed(&l.0);
    Ok(().into())
}

// ---- abuse reports ----

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportParams {
    user_id: String,
    comment: String,
}

pub async fn report_abuse(ctx: Ctx, p: ReportParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    crate::domain::moderation::report(&mut *ctx.db().await?, &me, &p.user_id, &p.comment).await?;
    Ok(().into())
}
