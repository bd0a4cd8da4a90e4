//! Timelines and other note lists: notes/timeline (home), local, hybrid (social), global,
//! user-list, users/notes and notes/mentions. Each is one SQL query over an index (the home feed
//! walks each followee's `(user_id, id)` index and merges), with visibility, mutes and blocks
//! applied in the query, and packed in the same statement (`pack::notes::page_sql`).

use super::endpoint::{Ctx, Out};
use super::pack::notes::{self as pack_notes, columns as cols, Order};
use super::ApiError;
use crate::domain::visibility;
use diesel::sql_types::{Nullable, Varchar};
use schemars::JsonSchema;
use serde::Deserialize;

/// Misskey's pagination parameters.
#[derive(Deserialize, JsonSchema, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// 1–100.
    pub limit: Option<u32>,
    pub since_id: Option<String>,
    pub until_id: Option<String>,
    /// Milliseconds since the epoch.
    pub since_date: Option<i64>,
    pub until_date: Option<i64>,
}

pub struct Bounds {
    pub lower: Option<String>,
    pub upper: Option<String>,
    /// Only `sinceId`/`sinceDate` given: oldest first, as Misskey answers such queries.
    pub ascending: bool,
    pub limit: i64,
}

impl Page {
    pub fn bounds(&self, default_limit: u32) -> Result<Bounds, ApiError> {
        let limit = self.limit.unwrap_or(default_limit);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::invalid_param("limit", "must be between 1 and 100"));
        }
        let lower = self.since_id.clone().or(self.since_date.map(crate::id::min_at));
        let upper = self.until_id.clone().or(self.until_date.map(crate::id::min_at));
        let ascending = lower.is_some() && upper.is_none();
        Ok(Bounds { lower, upper, ascending, limit: limit as i64 })
    }
}

/// Applies page bounds to a boxed diesel query over a table keyed by an aid `id`: the range and
/// the order (the caller adds `.limit(b.limit)`).
macro_rules! paginate {
    ($q:expr, $id:expr, $b:expr) => {{
        let mut q = $q;
        if let Some(lo) = &$b.lower {
            q = q.filter($id.gt(lo));
        }
        if let Some(hi) = &$b.upper {
            q = q.filter($id.lt(hi));
        }
        if $b.ascending {
            q.order($id.asc())
        } else {
            q.order($id.desc())
        }
    }};
}
pub(crate) use paginate;

impl Bounds {
    fn dir(&self) -> &'static str {
        if self.ascending {
            "ASC"
        } else {
            "DESC"
        }
    }
}

/// The note columns, for queries that must name them.
const COLS: &str = super::pack::notes::COLUMNS;

/// The page bounds ($2, $3) on `{a}.id`, written only when given: a prepared statement's
/// generic plan can then use them as index bounds.
fn bounds_sql(a: &str, b: &Bounds) -> String {
    match (&b.lower, &b.upper) {
        (Some(_), Some(_)) => format!("{a}.id > $2 AND {a}.id < $3"),
        (Some(_), None) => format!("{a}.id > $2"),
        (None, Some(_)) => format!("{a}.id < $3"),
        (None, None) => "true".into(),
    }
}

/// Conditions shared by the lists: the page bounds ($2, $3), mutes and blocks (from the packing
/// statement's exclusions), renotes and files switches.
fn common(a: &str, b: &Bounds, with_renotes: bool, with_files: bool) -> String {
    let mut s = format!(
        "{} AND {}",
        bounds_sql(a, b),
        visibility::exclusion_sql(a, pack_notes::EXCLUDED, pack_notes::RENOTE_MUTED)
    );
    if !with_renotes {
        s += &format!(" AND NOT ({a}.renote_id IS NOT NULL AND {a}.text IS NULL AND {a}.cw IS NULL AND NOT {a}.has_poll)");
    }
    if with_files {
        s += &format!(" AND {a}.file_ids <> '{{}}'");
    }
    s
}

/// Runs a list query as one packing statement (`pack::notes::page_sql`) and answers the packed
/// page. Binds: $1 viewer, $2 lower bound, $3 upper bound; $4, $5 and $6 are `args`, what the
/// query itself asks for (a user or list id, the terms of a search), NULL where not given. The
/// page size is written into the text (it is a checked integer): with it and the bounds written
/// only when given, the prepared statement's generic plan is as good as a custom one, so
/// PostgreSQL does not plan the statement on every call.
pub async fn run(ctx: &Ctx, sql: &str, b: &Bounds, args: &[Option<&str>]) -> Result<Out, ApiError> {
    debug_assert!(args.len() <= 3);
    let arg = |i: usize| args.get(i).copied().flatten();
    let mut conn = ctx.db().await?;
    let me = ctx.me_id();
    let q = diesel::sql_query(pack_notes::page_sql(sql))
        .into_boxed()
        .bind::<Nullable<Varchar>, _>(me)
        .bind::<Nullable<Varchar>, _>(&b.lower)
        .bind::<Nullable<Varchar>, _>(&b.upper)
        .bind::<Nullable<Varchar>, _>(arg(0))
        .bind::<Nullable<Varchar>, _>(arg(1))
        .bind::<Nullable<Varchar>, _>(arg(2));
    let rows = pack_notes::load_page(&mut conn, q).await?;
    drop(conn);
    let order = if b.ascending { Order::Oldest } else { Order::Newest };
    let page = pack_notes::render_page(&ctx.state.config.url, me, &rows, order);
    Ok(Out::Bytes(serde_json::to_vec(&page).expect("notes serialise").into()))
}

/// The followed-users part of the home and hybrid feeds: for each source user (`src` yields
/// `uid`, `with_replies`), the newest notes through `notes_user_id_id`, merged.
fn feed_sql(src: &str, b: &Bounds, with_renotes: bool, with_files: bool, any_visible: bool) -> String {
    let lim = b.limit;
    let vis = if any_visible { visibility::sql("n", "$1") } else { FOLLOWED_VISIBLE.to_string() };
    // The merge handles ids only; the chosen notes' rows are read once at the end.
    format!(
        "SELECT {c} FROM notes f WHERE f.id IN (SELECT t.id FROM ({src}) src CROSS JOIN LATERAL ( \
           SELECT n.id FROM notes n WHERE n.user_id = src.uid AND {common} AND {vis} \
             AND (n.reply_id IS NULL OR src.with_replies OR n.reply_user_id = $1 OR n.reply_user_id = n.user_id) \
           ORDER BY n.id {d} LIMIT {lim}) t ORDER BY t.id {d} LIMIT {lim})",
        c = cols("f"),
        common = common("n", b, with_renotes, with_files),
        d = b.dir(),
    )
}

fn local_sql(b: &Bounds, with_replies: bool, with_renotes: bool, with_files: bool) -> String {
    let lim = b.limit;
    let replies = if with_replies { "" } else { " AND (n.reply_id IS NULL OR n.reply_user_id = n.user_id)" };
    format!(
        "SELECT {c} FROM notes n WHERE n.user_host IS NULL AND n.visibility = 'public' AND {common}{replies} \
         ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        common = common("n", b, with_renotes, with_files),
        d = b.dir(),
    )
}

/// Visibility of a note whose author the viewer follows: only "specified" notes need the
/// address check.
const FOLLOWED_VISIBLE: &str =
    "(n.visibility <> 'specified' OR n.user_id = $1 OR $1 = ANY(n.visible_user_ids))";

/// How many of the newest notes the home feed looks through before it merges per followee.
const FEED_WINDOW: u32 = 1000;

/// The home feed (the viewer's and their followees' notes), unordered, holding at least the
/// page. Two plans whose costs move in opposite directions: the per-followee merge of
/// [`feed_sql`] costs followees × limit rows, a scan of the newest notes costs as many rows
/// as it takes to find `limit` from followees. The scan is tried within the newest
/// [`FEED_WINDOW`] notes of the page's range; when it finds a full page that page is exact (no
/// older note can be newer), otherwise the merge answers. Pages asked oldest first (`sinceId`
/// only) always merge.
fn home_feed_sql(b: &Bounds, with_renotes: bool, with_files: bool) -> String {
    let lim = b.limit;
    let merged = feed_sql(FOLLOWED_SRC, b, with_renotes, with_files, false);
    if b.ascending {
        return merged;
    }
    // `coalesce` keeps the followee test a hashed lookup instead of a join.
    format!(
        "WITH recent AS MATERIALIZED ( \
           SELECT {c} FROM (SELECT {c0} FROM notes n0 WHERE {window} ORDER BY n0.id DESC LIMIT {w}) n \
           WHERE coalesce(n.user_id IN (SELECT uid FROM ({FOLLOWED_SRC}) s), false) AND {common} AND {vis} \
             AND (n.reply_id IS NULL OR n.user_id = $1 OR n.reply_user_id = $1 OR n.reply_user_id = n.user_id \
               OR EXISTS (SELECT 1 FROM following w WHERE w.follower_id = $1 AND w.followee_id = n.user_id AND w.with_replies)) \
           ORDER BY n.id DESC LIMIT {lim}) \
         SELECT {COLS} FROM recent WHERE (SELECT count(*) FROM recent) >= {lim} \
         UNION ALL SELECT {COLS} FROM ({merged}) m WHERE (SELECT count(*) FROM recent) < {lim}",
        c = cols("n"),
        c0 = cols("n0"),
        window = bounds_sql("n0", b),
        w = FEED_WINDOW,
        common = common("n", b, with_renotes, with_files),
        vis = FOLLOWED_VISIBLE,
    )
}

const FOLLOWED_SRC: &str = "SELECT followee_id AS uid, with_replies FROM following WHERE follower_id = $1 \
                            UNION ALL SELECT $1, true";

fn tl_flags(with_replies: bool, with_files: bool, id: &'static str) -> Result<(), ApiError> {
    if with_replies && with_files {
        return Err(ApiError::client(
            "BOTH_WITH_REPLIES_AND_WITH_FILES",
            id,
            "Specifying both withReplies and withFiles is not supported",
        ));
    }
    Ok(())
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineParams {
    #[serde(flatten)]
    page: Page,
    #[serde(default = "yes")]
    with_renotes: bool,
    #[serde(default)]
    with_files: bool,
    #[serde(default)]
    with_replies: bool,
    /// Accepted for compatibility; featured-note injection is not offered.
    #[serde(default)]
    #[allow(dead_code)]
    allow_partial: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    include_my_renotes: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    include_renoted_my_notes: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    include_local_renotes: Option<bool>,
}

pub async fn home(ctx: Ctx, p: TimelineParams) -> Result<Out, ApiError> {
    let b = p.page.bounds(10)?;
    let sql = home_sql(&b, &p);
    run(&ctx, &sql, &b, &[]).await
}

fn home_sql(b: &Bounds, p: &TimelineParams) -> String {
    let lim = b.limit;
    format!("{} ORDER BY id {} LIMIT {lim}", home_feed_sql(b, p.with_renotes, p.with_files), b.dir())
}

fn hybrid_sql(b: &Bounds, p: &TimelineParams) -> String {
    let lim = b.limit;
    format!(
        "SELECT {c} FROM (({feed}) UNION ({local})) u ORDER BY id {d} LIMIT {lim}",
        c = COLS,
        feed = home_feed_sql(b, p.with_renotes, p.with_files),
        local = local_sql(b, p.with_replies, p.with_renotes, p.with_files),
        d = b.dir(),
    )
}

/// The statement a timeline endpoint runs for its first page with default switches (for
/// benchmarks that time the database on its own), binds as in [`run`]; with `packed` false only
/// the list of notes, with the viewer's exclusions it needs.
pub fn first_page_sql(timeline: &str, limit: u32, packed: bool) -> Option<String> {
    let p = TimelineParams {
        page: Page { limit: Some(limit), ..Page::default() },
        with_renotes: true,
        with_files: false,
        with_replies: false,
        allow_partial: None,
        include_my_renotes: None,
        include_renoted_my_notes: None,
        include_local_renotes: None,
    };
    let b = p.page.bounds(limit).ok()?;
    let list = match timeline {
        "home" => home_sql(&b, &p),
        "local" => local_sql(&b, p.with_replies, p.with_renotes, p.with_files),
        "hybrid" => hybrid_sql(&b, &p),
        _ => return None,
    };
    Some(if packed {
        pack_notes::page_sql(&list)
    } else {
        format!("WITH {} SELECT * FROM ({list}) l", pack_notes::exclusions_cte())
    })
}

async fn policy_allows(
    ctx: &Ctx,
    f: fn(&crate::domain::policies::RolePolicies) -> bool,
) -> Result<bool, ApiError> {
    if ctx.me.as_ref().is_some_and(|m| m.is_staff()) {
        return Ok(true);
    }
    Ok(f(&*ctx.state.api.policies(&ctx.state).await?))
}

pub async fn local(ctx: Ctx, p: TimelineParams) -> Result<Out, ApiError> {
    tl_flags(p.with_replies, p.with_files, "dd9c8400-1cb5-4eef-8a31-200c5f933793")?;
    if !policy_allows(&ctx, |p| p.ltl_available).await? {
        return Err(ApiError::client(
            "LTL_DISABLED",
            "45a6eb02-7695-4393-b023-dd3be9aaaefd",
            "Local timeline has been disabled.",
        ));
    }
    let b = p.page.bounds(10)?;
    let sql = local_sql(&b, p.with_replies, p.with_renotes, p.with_files);
    run(&ctx, &sql, &b, &[]).await
}

pub async fn hybrid(ctx: Ctx, p: TimelineParams) -> Result<Out, ApiError> {
    tl_flags(p.with_replies, p.with_files, "dfaa3eb7-8002-4cb7-bcc4-1095df46656f")?;
    if !policy_allows(&ctx, |p| p.ltl_available).await? {
        return Err(ApiError::client(
            "STL_DISABLED",
            "620763f4-f621-4533-ab33-0577a1a3c342",
            "Hybrid timeline has been disabled.",
        ));
    }
    let b = p.page.bounds(10)?;
    let sql = hybrid_sql(&b, &p);
    run(&ctx, &sql, &b, &[]).await
}

pub async fn global(ctx: Ctx, p: TimelineParams) -> Result<Out, ApiError> {
    if !policy_allows(&ctx, |p| p.gtl_available).await? {
        return Err(ApiError::client(
            "GTL_DISABLED",
            "0332fc13-6ab2-4427-ae80-a9fadffd1a6b",
            "Global timeline has been disabled.",
        ));
    }
    let b = p.page.bounds(10)?;
    let lim = b.limit;
    let sql = format!(
        "SELECT {c} FROM notes n WHERE n.visibility = 'public' AND NOT n.local_only AND {common} \
         AND (n.reply_id IS NULL OR n.reply_user_id = n.user_id) ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        common = common("n", &b, p.with_renotes, p.with_files),
        d = b.dir(),
    );
    run(&ctx, &sql, &b, &[]).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListTimelineParams {
    list_id: String,
    #[serde(flatten)]
    tl: TimelineParams,
}

pub async fn user_list(ctx: Ctx, p: ListTimelineParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    super::users::own_list(&ctx, &me, &p.list_id, "8fb1fbd5-e476-4c37-9fb0-43d55b63a2ff").await?;
    let b = p.tl.page.bounds(10)?;
    let lim = b.limit;
    let src = "SELECT user_id AS uid, with_replies FROM user_list_members WHERE user_list_id = $4";
    let sql = format!(
        "{} ORDER BY id {} LIMIT {lim}",
        feed_sql(src, &b, p.tl.with_renotes, p.tl.with_files, true),
        b.dir()
    );
    run(&ctx, &sql, &b, &[Some(&p.list_id)]).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserNotesParams {
    user_id: String,
    #[serde(flatten)]
    page: Page,
    #[serde(default)]
    with_replies: bool,
    #[serde(default = "yes")]
    with_renotes: bool,
    #[serde(default)]
    with_files: bool,
    #[serde(default)]
    #[allow(dead_code)]
    with_channel_notes: bool,
}

pub async fn user_notes(ctx: Ctx, p: UserNotesParams) -> Result<Out, ApiError> {
    tl_flags(p.with_replies, p.with_files, "91c8cb9f-36ed-46e7-9ca2-7df96ed6e222")?;
    let mut conn = ctx.db().await?;
    let exists = super::pack::users::load_one(&mut conn, &p.user_id).await?.is_some_and(|u| !u.is_suspended);
    drop(conn);
    if !exists {
        return Err(ApiError::client(
            "NO_SUCH_USER",
            "27e494ba-2ac2-48e8-893b-10d4d8c2387b",
            "No such user.",
        ));
    }
    let b = p.page.bounds(10)?;
    let lim = b.limit;
    let replies =
        if p.with_replies { "" } else { " AND (n.reply_id IS NULL OR n.reply_user_id = n.user_id)" };
    let sql = format!(
        "SELECT {c} FROM notes n WHERE n.user_id = $4 AND {vis} AND {common}{replies} ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", "$1"),
        common = common("n", &b, p.with_renotes, p.with_files),
        d = b.dir(),
    );
    run(&ctx, &sql, &b, &[Some(&p.user_id)]).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MentionsParams {
    #[serde(flatten)]
    page: Page,
    #[serde(default)]
    following: bool,
    visibility: Option<String>,
}

pub async fn mentions(ctx: Ctx, p: MentionsParams) -> Result<Out, ApiError> {
    ctx.me()?;
    let b = p.page.bounds(10)?;
    let lim = b.limit;
    let mut filter = String::new();
    if p.following {
        filter +=
            " AND EXISTS (SELECT 1 FROM following f WHERE f.follower_id = $1 AND f.followee_id = n.user_id)";
    }
    if let Some(v) = &p.visibility {
        if !crate::domain::notes::VISIBILITIES.contains(&v.as_str()) {
            return Err(ApiError::invalid_param(
                "visibility",
                "must be public, home, followers or specified",
            ));
        }
        filter += &format!(" AND n.visibility = '{v}'");
    }
    let sql = format!(
        "SELECT {c} FROM notes n WHERE (n.mentions @> ARRAY[$1]::varchar[] OR n.visible_user_ids @> ARRAY[$1]::varchar[]) AND {vis} AND {common}{filter} \
         ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", "$1"),
        common = common("n", &b, true, false),
        d = b.dir(),
    );
    run(&ctx, &sql, &b, &[]).await
}

/// Replies to, renotes of, or the thread of a note, visible to the caller. `kind` picks which.
pub async fn related(ctx: &Ctx, note_id: &str, kind: Related, page: &Page) -> Result<Out, ApiError> {
    let b = page.bounds(10)?;
    let lim = b.limit;
    let cond = match kind {
        Related::Replies => "n.reply_id = $4",
        Related::Renotes => "n.renote_id = $4",
        Related::Children => "(n.reply_id = $4 OR (n.renote_id = $4 AND (n.text IS NOT NULL OR n.cw IS NOT NULL OR n.has_poll)))",
        Related::QuotesOnly => "(n.renote_id = $4 AND (n.text IS NOT NULL OR n.cw IS NOT NULL OR n.has_poll))",
    };
    let sql = format!(
        "SELECT {c} FROM notes n WHERE {cond} AND {vis} AND {common} ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", "$1"),
        common = common("n", &b, true, false),
        d = b.dir(),
    );
    run(ctx, &sql, &b, &[Some(note_id)]).await
}

#[derive(Clone, Copy)]
pub enum Related {
    Replies,
    Renotes,
    Children,
    QuotesOnly,
}

/// Full-text search (see `domain::search`), newest first: `$4` the tsquery, `$5` the one user
/// the caller limited it to, `$6` the ILIKE pattern that checks the text itself.
pub async fn search(
    ctx: &Ctx,
    tsquery: &str,
    like: &str,
    user_id: Option<&str>,
    page: &Page,
) -> Result<Out, ApiError> {
    let b = page.bounds(10)?;
    let lim = b.limit;
    let user = match user_id {
        Some(_) => " AND n.user_id = $5",
        None => "",
    };
    let sql = format!(
        "SELECT {c} FROM notes n WHERE n.search @@ to_tsquery('simple', $4) AND (n.text ILIKE $6 OR n.cw ILIKE $6) \
         AND {vis} AND {common}{user} ORDER BY n.id {d} LIMIT {lim}",
        c = cols("n"),
        vis = visibility::sql("n", "$1"),
        common = common("n", &b, true, false),
        d = b.dir(),
    );
    run(ctx, &sql, &b, &[Some(tsquery), user_id, Some(like)]).await
}
