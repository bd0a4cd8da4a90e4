//! federation/instances, show-instance, users, followers and following: the servers this one
//! has met, with their users, notes and follows here, and how this server treats them.

use super::endpoint::{Ctx, Out};
use super::pack::iso;
use super::pack::users::{self as pack_users, UserRow};
use super::timelines::{paginate, Page};
use super::users::{pack_follows, FollowRow, Side};
use super::ApiError;
use crate::domain::federation::HostPolicy;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
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
    #[diesel(sql_type = Nullable<Varchar>)]
    software_name: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    software_version: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    open_registrations: Option<bool>,
    #[diesel(sql_type = Nullable<Varchar>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    description: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    maintainer_name: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    maintainer_email: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    icon_url: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    theme_color: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    info_updated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    latest_request_received_at: Option<DateTime<Utc>>,
}

/// Every instance with its counts; `$1` a host filter (substring), `$2` not responding only.
const SELECT: &str = "WITH u AS (SELECT host, count(*) AS n, coalesce(sum(notes_count), 0) AS notes FROM users \
       WHERE host IS NOT NULL GROUP BY host), \
     fo AS (SELECT follower_host AS host, count(*) AS n FROM following WHERE follower_host IS NOT NULL GROUP BY 1), \
     fr AS (SELECT followee_host AS host, count(*) AS n FROM following WHERE followee_host IS NOT NULL GROUP BY 1) \
     SELECT i.id, i.host, i.first_seen_at, coalesce(i.retry_after > now(), false) AS not_responding, \
       coalesce(u.n, 0)::bigint AS users, coalesce(u.notes, 0)::bigint AS notes, \
       coalesce(fo.n, 0)::bigint AS following, coalesce(fr.n, 0)::bigint AS followers, \
       i.software_name, i.software_version, i.open_registrations, i.name, i.description, \
       i.maintainer_name, i.maintainer_email, i.icon_url, i.theme_color, i.info_updated_at, \
       i.latest_request_received_at \
     FROM instances i LEFT JOIN u ON u.host = i.host LEFT JOIN fo ON fo.host = i.host LEFT JOIN fr ON fr.host = i.host";

fn pack(r: &Row, policy: &HostPolicy) -> Value {
    json!({
        "id": r.id,
        "firstRetrievedAt": iso(r.first_seen_at),
        "host": r.host,
        "usersCount": r.users,
        "notesCount": r.notes,
        "followingCount": r.following,
        "followersCount": r.followers,
        "isNotResponding": r.not_responding,
        "isSuspended": false,
        "suspensionState": "none",
        "isBlocked": !policy.allows(&r.host),
        "softwareName": r.software_name,
        "softwareVersion": r.software_version,
        "openRegistrations": r.open_registrations,
        "name": r.name,
        "description": r.description,
        "maintainerName": r.maintainer_name,
        "maintainerEmail": r.maintainer_email,
        "isSilenced": policy.silences(&r.host),
        "isMediaSilenced": false,
        "iconUrl": r.icon_url,
        "faviconUrl": null,
        "themeColor": r.theme_color,
        "infoUpdatedAt": r.info_updated_at.map(iso),
        "latestRequestReceivedAt": r.latest_request_received_at.map(iso),
    })
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
    let limit = super::params::limit(p.limit, 30)?;
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
        Some("+firstRetrievedAt") => "first_seen_at DESC, id",
        Some("-firstRetrievedAt") => "first_seen_at, id",
        Some("+latestRequestReceivedAt") => "latest_request_received_at DESC NULLS LAST, id",
        Some("-latestRequestReceivedAt") => "latest_request_received_at NULLS FIRST, id",
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
    let policy = crate::domain::federation::policy(&mut conn).await?;
    let out: Vec<Value> = rows
        .iter()
        .filter(|r| p.blocked.is_none_or(|b| b != policy.allows(&r.host)))
        .filter(|r| p.silenced.is_none_or(|s| s == policy.silences(&r.host)))
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
    let policy = crate::domain::federation::policy(&mut conn).await?;
    Ok(row.map(|r| pack(&r, &policy)).unwrap_or(Value::Null).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostPageParams {
    host: String,
    #[serde(flatten)]
    page: Page,
}

/// Follows between this server's users and the host's, newest first: `remote_followee` picks
/// the follows of local users toward the host (federation/followers) or the host's users
/// following local ones (federation/following). A local user's follow list hidden from the
/// public stays hidden here.
async fn host_follows(ctx: Ctx, p: HostPageParams, remote_followee: bool) -> Result<Out, ApiError> {
    use crate::db::schema::{following, user_profiles};
    let b = p.page.bounds(10)?;
    let host = p.host.to_lowercase();
    let mut conn = ctx.db().await?;
    let mut q = following::table
        .inner_join(
            user_profiles::table.on(user_profiles::user_id
                .eq(following::follower_id)
                .and(following::followee_host.eq(&host))
                .and(user_profiles::following_visibility.eq("public"))
                .or(user_profiles::user_id
                    .eq(following::followee_id)
                    .and(following::follower_host.eq(&host))
                    .and(user_profiles::followers_visibility.eq("public")))),
        )
        .into_boxed();
    q = if remote_followee {
        q.filter(following::followee_host.eq(&host).and(following::follower_host.is_null()))
    } else {
        q.filter(following::follower_host.eq(&host).and(following::followee_host.is_null()))
    };
    q = paginate!(q, following::id, b);
    let rows: Vec<FollowRow> = q
        .select((following::id, following::created_at, following::follower_id, following::followee_id))
        .limit(b.limit)
        .load(&mut conn)
        .await?;
    let packed =
        pack_follows(&mut conn, &ctx.state.config.url, ctx.me_id(), &rows, &[Side::Follower, Side::Followee])
            .await?;
    Ok(Value::Array(packed).into())
}

pub async fn followers(ctx: Ctx, p: HostPageParams) -> Result<Out, ApiError> {
    host_follows(ctx, p, true).await
}

pub async fn following(ctx: Ctx, p: HostPageParams) -> Result<Out, ApiError> {
    host_follows(ctx, p, false).await
}

/// The host's users known here, newest first.
pub async fn users(ctx: Ctx, p: HostPageParams) -> Result<Out, ApiError> {
    use crate::db::schema::users;
    let b = p.page.bounds(10)?;
    let mut conn = ctx.db().await?;
    let mut q = users::table
        .filter(users::host.eq(p.host.to_lowercase()))
        .filter(users::is_suspended.eq(false))
        .into_boxed();
    q = paginate!(q, users::id, b);
    let rows: Vec<UserRow> = q.select(UserRow::as_select()).limit(b.limit).load(&mut conn).await?;
    Ok(Value::Array(pack_users::detailed(&mut conn, &ctx.state.config.url, ctx.me_id(), &rows).await?).into())
}

/// Fetches a server's NodeInfo and manifest again (in the background).
pub async fn refresh_metadata(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    if !crate::domain::federation::refresh_instance_info(&mut conn, &p.host.to_lowercase()).await? {
        return Err(ApiError::client(
            "NO_SUCH_INSTANCE",
            "6b2b47c8-6a35-4d41-a4ea-2b9e0ac0d7c6",
            "No such instance.",
        ));
    }
    Ok(().into())
}
