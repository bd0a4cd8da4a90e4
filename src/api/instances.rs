//! federation/instances and federation/show-instance: the servers this one has met, with
//! their users, notes and follows here, and how this server treats them.

use super::endpoint::{Ctx, Out};
use super::ApiError;
use crate::domain::federation::HostPolicy;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Varchar};
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Varchar)]
    id: String,
    #[diesel(sql_type = Varchar)]
    host: String,
    #[diesel(sql_type = Timestamptz)]
    first_seen_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    not_responding: bool,
    #[diesel(sql_type = BigInt)]
    users: i64,
    #[diesel(sql_type = BigInt)]
    notes: i64,
    #[diesel(sql_type = BigInt)]
    following: i64,
    #[diesel(sql_type = BigInt)]
    followers: i64,
}

/// Every instance with its counts; `$1` a host filter (substring), `$2` not responding only.
const SELECT: &str = "WITH u AS (SELECT host, count(*) AS n, coalesce(sum(notes_count), 0) AS notes FROM users \
       WHERE host IS NOT NULL GROUP BY host), \
     fo AS (SELECT follower_host AS host, count(*) AS n FROM following WHERE follower_host IS NOT NULL GROUP BY 1), \
     fr AS (SELECT followee_host AS host, count(*) AS n FROM following WHERE followee_host IS NOT NULL GROUP BY 1) \
     SELECT i.id, i.host, i.first_seen_at, coalesce(i.retry_after > now(), false) AS not_responding, \
       coalesce(u.n, 0)::bigint AS users, coalesce(u.notes, 0)::bigint AS notes, \
       coalesce(fo.n, 0)::bigint AS following, coalesce(fr.n, 0)::bigint AS followers \
     FROM instances i LEFT JOIN u ON u.host = i.host LEFT JOIN fo ON fo.host = i.host LEFT JOIN fr ON fr.host = i.host";

fn pack(r: &Row, policy: &HostPolicy) -> Value {
    json!({
        "id": r.id,
        "firstRetrievedAt": r.first_seen_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "host": r.host,
        "usersCount": r.users,
        "notesCount": r.notes,
        "followingCount": r.following,
        "followersCount": r.followers,
        "isNotResponding": r.not_responding,
        "isSuspended": false,
        "suspensionState": "none",
        "isBlocked": !policy.allows(&r.host),
        "softwareName": null,
        "softwareVersion": null,
        "openRegistrations": null,
        "name": null,
        "description": null,
        "maintainerName": null,
        "maintainerEmail": null,
        "isSilenced": crate::domain::federation::silenced(&r.host),
        "isMediaSilenced": false,
        "iconUrl": null,
        "faviconUrl": null,
        "themeColor": null,
        "infoUpdatedAt": null,
        "latestRequestReceivedAt": null,
    })
}

fn policy(ctx: &Ctx) -> HostPolicy {
    HostPolicy::from_config(&ctx.state.config.federation)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    /// Only hosts containing this text.
    host: Option<String>,
    blocked: Option<bool>,
    not_responding: Option<bool>,
    suspended: Option<bool>,
    silenced: Option<bool>,
    /// Only servers with follows in either direction (true) or none (false).
    federating: Option<bool>,
    subscribing: Option<bool>,
    publishing: Option<bool>,
    /// 1–100; 30 when absent.
    limit: Option<u32>,
    offset: Option<u32>,
    #[schemars(extend("enum" = ["+pubSub", "-pubSub", "+notes", "-notes", "+users", "-users", "+following", "-following", "+followers", "-followers", "+firstRetrievedAt", "-firstRetrievedAt", "+latestRequestReceivedAt", "-latestRequestReceivedAt", null]))]
    sort: Option<String>,
}

pub async fn list(ctx: Ctx, p: ListParams) -> Result<Out, ApiError> {
    let limit = p.limit.unwrap_or(30);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid_param("limit", "must be between 1 and 100"));
    }
    // `+` is the largest first, as Misskey sorts.
    let order = match p.sort.as_deref() {
        None | Some("+pubSub") | Some("-pubSub") => "id DESC",
        Some("+notes") => "notes DESC, id",
        Some("-notes") => "notes, id",
        Some("+users") => "users DESC, id",
        Some("-users") => "users, id",
        Some("+following") => "following DESC, id",
        Some("-following") => "following, id",
        Some("+followers") => "followers DESC, id",
        Some("-followers") => "followers, id",
        Some("+firstRetrievedAt") | Some("+latestRequestReceivedAt") => "first_seen_at DESC, id",
        Some("-firstRetrievedAt") | Some("-latestRequestReceivedAt") => "first_seen_at, id",
        Some(_) => return Err(ApiError::invalid_param("sort", "unknown sort")),
    };
    let mut conn = ctx.db().await?;
    // The order comes from the fixed list above, never from input.
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT * FROM ({SELECT}) x WHERE ($1::text IS NULL OR host ILIKE '%' || $1 || '%') \
           AND ($2::bool IS NULL OR not_responding = $2) \
           AND ($3::bool IS NULL OR (following + followers > 0) = $3) ORDER BY {order}"
    ))
    .bind::<Nullable<Text>, _>(p.host.filter(|h| !h.is_empty()).map(|h| h.replace(['%', '_'], "")))
    .bind::<Nullable<Bool>, _>(p.not_responding)
    .bind::<Nullable<Bool>, _>(p.federating.or(p.subscribing.or(p.publishing)))
    .load(&mut conn)
    .await?;
    let policy = policy(&ctx);
    let out: Vec<Value> = rows
        .iter()
        .filter(|r| p.blocked.is_none_or(|b| b != policy.allows(&r.host)))
        .filter(|r| p.silenced.is_none_or(|s| s == crate::domain::federation::silenced(&r.host)))
        .filter(|_| p.suspended.is_none_or(|s| !s))
        .skip(p.offset.unwrap_or(0) as usize)
        .take(limit as usize)
        .map(|r| pack(r, &policy))
        .collect();
    Ok(Value::Array(out).into())
}

#[derive(Deserialize, JsonSchema)]
pub struct ShowParams {
    host: String,
}

pub async fn show(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let row: Option<Row> = diesel::sql_query(format!("SELECT * FROM ({SELECT}) x WHERE host = $1"))
        .bind::<Text, _>(p.host.to_lowercase())
        .get_result(&mut conn)
        .await
        .map(Some)
        .or_else(|e| if e == diesel::result::Error::NotFound { Ok(None) } else { Err(e) })?;
    // Misskey answers null for a server it has not met.
    Ok(row.map(|r| pack(&r, &policy(&ctx))).unwrap_or(Value::Null).into())
}
