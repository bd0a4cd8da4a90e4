//! following/*: follow, unfollow, and follow requests for locked accounts.

use super::endpoint::{Ctx, Out};
use super::pack::users::{self as pack_users, UserRow};
use super::timelines::{paginate, Page};
use super::ApiError;
use crate::db::schema::follow_requests;
use crate::domain::follows;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserIdParams {
    user_id: String,
    with_replies: Option<bool>,
}

async fn target(ctx: &Ctx, id: &str, err: ApiError) -> Result<UserRow, ApiError> {
    let mut conn = ctx.db().await?;
    pack_users::load_one(&mut conn, id).await?.filter(|u| !u.is_system).ok_or(err)
}

async fn lite(ctx: &Ctx, id: &str) -> Result<Value, ApiError> {
    let mut conn = ctx.db().await?;
    let u = pack_users::load_one(&mut conn, id).await?.ok_or_else(|| ApiError::internal("user vanished"))?;
    Ok(pack_users::lite(&ctx.state.config.url, &u))
}

pub async fn create(ctx: Ctx, p: UserIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    if p.user_id == me {
        return Err(ApiError::client(
            "FOLLOWEE_IS_YOURSELF",
            "26fbe7bb-a331-4857-af17-205b426669a9",
            "Followee is yourself.",
        ));
    }
    let followee = target(
        &ctx,
        &p.user_id,
        ApiError::client("NO_SUCH_USER", "fcd2eef9-a9b2-4c4f-8624-038099e90aa5", "No such user."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    follows::follow(&mut conn, &me, &followee.id, p.with_replies, None).await?;
    Ok(pack_users::lite(&ctx.state.config.url, &followee).into())
}

pub async fn delete(ctx: Ctx, p: UserIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    if p.user_id == me {
        return Err(ApiError::client(
            "FOLLOWEE_IS_YOURSELF",
            "d9e400b9-36b0-4808-b1d8-79e707f1296c",
            "Followee is yourself.",
        ));
    }
    let followee = target(
        &ctx,
        &p.user_id,
        ApiError::client("NO_SUCH_USER", "5b12c78d-2b28-4dca-99d2-f56139b42ff8", "No such user."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    if !follows::remove_follow(&mut conn, &me, &followee.id).await? {
        return Err(ApiError::client(
            "NOT_FOLLOWING",
            "5dbf82f5-c92b-40b1-87d1-6c8c0741fd09",
            "You are not following that user.",
        ));
    }
    Ok(lite(&ctx, &followee.id).await?.into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageParams {
    #[serde(flatten)]
    page: Page,
}

async fn request_list(ctx: Ctx, p: PageParams, incoming: bool) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(10)?;
    let mut conn = ctx.db().await?;
    let mut q = follow_requests::table.into_boxed();
    q = if incoming {
        q.filter(follow_requests::followee_id.eq(&me))
    } else {
        q.filter(follow_requests::follower_id.eq(&me))
    };
    q = paginate!(q, follow_requests::id, b);
    let rows: Vec<(String, String, String)> = q
        .select((follow_requests::id, follow_requests::follower_id, follow_requests::followee_id))
        .limit(b.limit)
        .load(&mut conn)
        .await?;
    let ids: Vec<String> = rows.iter().flat_map(|r| [r.1.clone(), r.2.clone()]).collect();
    let users = pack_users::load(&mut conn, &ids).await?;
    let base = &ctx.state.config.url;
    let lite = |id: &str| users.get(id).map(|u| pack_users::lite(base, u)).unwrap_or(Value::Null);
    Ok(Value::Array(
        rows.iter()
            .map(|(id, fr, fe)| json!({ "id": id, "follower": lite(fr), "followee": lite(fe) }))
            .collect(),
    )
    .into())
}

pub async fn requests_list(ctx: Ctx, p: PageParams) -> Result<Out, ApiError> {
    request_list(ctx, p, true).await
}

pub async fn requests_sent(ctx: Ctx, p: PageParams) -> Result<Out, ApiError> {
    request_list(ctx, p, false).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestParams {
    user_id: String,
}

pub async fn accept(ctx: Ctx, p: RequestParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let follower = target(
        &ctx,
        &p.user_id,
        ApiError::client("NO_SUCH_USER", "66ce1645-d66c-46bb-8b79-96739af885bd", "No such user."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    if !follows::accept(&mut conn, &me, &follower.id).await? {
        return Err(ApiError::client(
            "NO_FOLLOW_REQUEST",
            "bcde4f8b-0913-4614-8881-614e522fb041",
            "No follow request.",
        ));
    }
    Ok(().into())
}

pub async fn reject(ctx: Ctx, p: RequestParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let follower = target(
        &ctx,
        &p.user_id,
        ApiError::client("NO_SUCH_USER", "abc2ffa6-25b2-4380-ba99-321ff3a94555", "No such user."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    follows::reject(&mut conn, &me, &follower.id).await?;
    Ok(().into())
}

pub async fn cancel(ctx: Ctx, p: RequestParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let followee = target(
        &ctx,
        &p.user_id,
        ApiError::client("NO_SUCH_USER", "4e68c551-fc4c-4e46-bb41-7d4a37bf9dab", "No such user."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    if !follows::cancel(&mut conn, &me, &followee.id).await? {
        return Err(ApiError::client(
            "FOLLOW_REQUEST_NOT_FOUND",
            "089b125b-d338-482a-9a09-e2622ac9f8d4",
            "Follow request not found.",
        ));
    }
    Ok(pack_users::lite(&ctx.state.config.url, &followee).into())
}
