//! mute/*, renote-mute/* and blocking/*.

use super::endpoint::{Ctx, Out};
use super::pack::users as pack_users;
use super::timelines::{paginate, Page};
use super::ApiError;
use crate::db::schema::{blockings, mutings, renote_mutings};
use crate::domain::follows;
use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// Error ids of one endpoint: no such user, target is yourself, already/not in that state.
struct Ids {
    no_user: &'static str,
    yourself: (&'static str, &'static str),
    state: (&'static str, &'static str, &'static str),
}

async fn check(ctx: &Ctx, user_id: &str, ids: &Ids) -> Result<String, ApiError> {
    let me = ctx.me()?.id.clone();
    if user_id == me {
        return Err(ApiError::client(ids.yourself.0, ids.yourself.1, "You cannot do this to yourself."));
    }
    let mut conn = ctx.db().await?;
    if pack_users::load_one(&mut conn, user_id).await?.filter(|u| !u.is_system).is_none() {
        return Err(ApiError::client("NO_SUCH_USER", ids.no_user, "No such user."));
    }
    Ok(me)
}

fn state_err(ids: &Ids) -> ApiError {
    ApiError::client(ids.state.0, ids.state.1, ids.state.2)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MuteParams {
    user_id: String,
    /// Milliseconds since the epoch; absent or null for a permanent mute.
    expires_at: Option<i64>,
}

pub async fn mute(ctx: Ctx, p: MuteParams) -> Result<Out, ApiError> {
    let ids = Ids {
        no_user: "6fef56f3-e765-4957-88e5-c6f65329b8a5",
        yourself: ("MUTEE_IS_YOURSELF", "a4619cb2-5f23-484b-9301-94c903074e10"),
        state: (
            "ALREADY_MUTING",
            "7e7359cb-160c-4956-b08f-4d1c653cd007",
            "You are already muting that user.",
        ),
    };
    let me = check(&ctx, &p.user_id, &ids).await?;
    let expires = match p.expires_at {
        None => None,
        Some(ms) => {
            let t = Utc
                .timestamp_millis_opt(ms)
                .single()
                .ok_or_else(|| ApiError::invalid_param("expiresAt", "not a time"))?;
            if t <= Utc::now() {
                return Ok(().into());
            }
            Some(t)
        }
    };
    let mut conn = ctx.db().await?;
    if !follows::mute(&mut conn, &me, &p.user_id, expires).await? {
        return Err(state_err(&ids));
    }
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserIdParams {
    user_id: String,
}

pub async fn unmute(ctx: Ctx, p: UserIdParams) -> Result<Out, ApiError> {
    let ids = Ids {
        no_user: "b851d00b-8ab1-4a56-8b1b-e24187cb48ef",
        yourself: ("MUTEE_IS_YOURSELF", "f428b029-6b39-4d48-a1d2-cc1ae6dd5cf9"),
        state: ("NOT_MUTING", "5467d020-daa9-4553-81e1-135c0c35a96d", "You are not muting that user."),
    };
    let me = check(&ctx, &p.user_id, &ids).await?;
    let mut conn = ctx.db().await?;
    if !follows::unmute(&mut conn, &me, &p.user_id).await? {
        return Err(state_err(&ids));
    }
    Ok(().into())
}

pub async fn renote_mute(ctx: Ctx, p: UserIdParams) -> Result<Out, ApiError> {
    let ids = Ids {
        no_user: "5e0a5dff-1e94-4202-87ae-4d9c89eb2271",
        yourself: ("MUTEE_IS_YOURSELF", "37285718-52f7-4aef-b7de-c38b8e8a8420"),
        state: (
            "ALREADY_MUTING",
            "ccfecbe4-1f1c-4fc2-8a3d-c3ffee61cb7b",
            "You are already muting renotes of that user.",
        ),
    };
    let me = check(&ctx, &p.user_id, &ids).await?;
    let mut conn = ctx.db().await?;
    if !follows::renote_mute(&mut conn, &me, &p.user_id).await? {
        return Err(state_err(&ids));
    }
    Ok(().into())
}

pub async fn renote_unmute(ctx: Ctx, p: UserIdParams) -> Result<Out, ApiError> {
    let ids = Ids {
        no_user: "9b6728cf-638c-4aa1-bedb-e07d8101474d",
        yourself: ("MUTEE_IS_YOURSELF", "619b1314-0850-4597-a242-e245f3da42af"),
        state: (
            "NOT_MUTING",
            "2e4ef874-8bf0-4b4b-b069-4598f6d05817",
            "You are not muting renotes of that user.",
        ),
    };
    let me = check(&ctx, &p.user_id, &ids).await?;
    let mut conn = ctx.db().await?;
    if !follows::renote_unmute(&mut conn, &me, &p.user_id).await? {
        return Err(state_err(&ids));
    }
    Ok(().into())
}

pub async fn block(ctx: Ctx, p: UserIdParams) -> Result<Out, ApiError> {
    let ids = Ids {
        no_user: "7cc4f851-e2f1-4621-9633-ec9e1d00c01e",
        yourself: ("BLOCKEE_IS_YOURSELF", "88b19138-f28d-42c0-8499-6a31bbd0fdc6"),
        state: (
            "ALREADY_BLOCKING",
            "787fed64-acb9-464a-82eb-afbd745b9614",
            "You are already blocking that user.",
        ),
    };
    let me = check(&ctx, &p.user_id, &ids).await?;
    let mut conn = ctx.db().await?;
    if !follows::block(&mut conn, &me, &p.user_id).await? {
        return Err(state_err(&ids));
    }
    detailed(&ctx, &p.user_id).await
}

pub async fn unblock(ctx: Ctx, p: UserIdParams) -> Result<Out, ApiError> {
    let ids = Ids {
        no_user: "8621d8bf-c358-4303-a066-5ea78610eb3f",
        yourself: ("BLOCKEE_IS_YOURSELF", "06f6fac6-524b-473c-a354-e97a40ae6eac"),
        state: ("NOT_BLOCKING", "291b2efa-60c6-45c0-9f6a-045c8f9b02cd", "You are not blocking that user."),
    };
    let me = check(&ctx, &p.user_id, &ids).await?;
    let mut conn = ctx.db().await?;
    if !follows::unblock(&mut conn, &me, &p.user_id).await? {
        return Err(state_err(&ids));
    }
    detailed(&ctx, &p.user_id).await
}

async fn detailed(ctx: &Ctx, id: &str) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let u = pack_users::load_one(&mut conn, id).await?.ok_or_else(|| ApiError::internal("user vanished"))?;
    let v = pack_users::detailed(&mut conn, &ctx.state.config.url, ctx.me_id(), &[u]).await?;
    Ok(v.into_iter().next().unwrap_or(Value::Null).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageParams {
    #[serde(flatten)]
    page: Page,
}

#[derive(Clone, Copy)]
enum Which {
    Mute,
    RenoteMute,
    Block,
}

async fn list(ctx: Ctx, p: PageParams, which: Which) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(30)?;
    let mut conn = ctx.db().await?;
    // (id, createdAt, expiresAt, other user)
    type Row = (String, chrono::DateTime<Utc>, Option<chrono::DateTime<Utc>>, String);
    macro_rules! page_of {
        ($t:ident, $owner:ident, $other:ident, $exp:expr) => {{
            let mut q = $t::table.filter($t::$owner.eq(&me)).into_boxed();
            q = paginate!(q, $t::id, b);
            q.select(($t::id, $t::created_at, $exp, $t::$other)).limit(b.limit).load::<Row>(&mut conn).await?
        }};
    }
    let none = diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>>("NULL");
    let rows: Vec<Row> = match which {
        Which::Mute => page_of!(mutings, muter_id, mutee_id, mutings::expires_at),
        Which::RenoteMute => page_of!(renote_mutings, muter_id, mutee_id, none),
        Which::Block => page_of!(blockings, blocker_id, blockee_id, none),
    };
    let ids: Vec<String> = rows.iter().map(|r| r.3.clone()).collect();
    let found = pack_users::load(&mut conn, &ids).await?;
    let ordered: Vec<_> = ids.iter().filter_map(|id| found.get(id).cloned()).collect();
    let packed = pack_users::detailed(&mut conn, &ctx.state.config.url, Some(&me), &ordered).await?;
    let by_id: std::collections::HashMap<&str, &Value> =
        ordered.iter().map(|u| u.id.as_str()).zip(packed.iter()).collect();
    let key = match which {
        Which::Block => ("blockeeId", "blockee"),
        _ => ("muteeId", "mutee"),
    };
    Ok(Value::Array(
        rows.iter()
            .filter_map(|(id, at, exp, other)| {
                by_id.get(other.as_str()).map(|u| {
                    let mut v = json!({ "id": id, "createdAt": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true) });
                    if let Which::Mute = which {
                        v["expiresAt"] = json!(exp.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
                    }
                    v[key.0] = json!(other);
                    v[key.1] = (*u).clone();
                    v
                })
            })
            .collect(),
    )
    .into())
}

pub async fn mute_list(ctx: Ctx, p: PageParams) -> Result<Out, ApiError> {
    list(ctx, p, Which::Mute).await
}

pub async fn renote_mute_list(ctx: Ctx, p: PageParams) -> Result<Out, ApiError> {
    list(ctx, p, Which::RenoteMute).await
}

pub async fn block_list(ctx: Ctx, p: PageParams) -> Result<Out, ApiError> {
    list(ctx, p, Which::Block).await
}
