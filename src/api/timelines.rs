//! Timelines and other note lists: notes/timeline (home), local, hybrid (social), global,
//! user-list, users/notes and notes/mentions. Each is one SQL query over an index (the home feed
//! walks each followee's `(user_id, id)` index and merges), with visibility, mutes and blocks
//! applied in the query, and packed in the same statement (`pack::notes::page_sql`).

use super::endpoint::{Ctx, Out};
use super::pack::notes::{self as pack_notes, Order};
use super::params::AtMost;
use super::ApiError;
use crate::db::page::List;
use crate::domain::timelines::{self as tl, Public, Switches, TagFilter};
use schemars::JsonSchema;
use serde::Deserialize;

pub use crate::db::page::Bounds;
pub use crate::domain::timelines::Related;

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

impl Page {
    pub fn bounds(&self, default_limit: u32) -> Result<Bounds, ApiError> {
        let limit = super::params::limit(self.limit, default_limit)?;
        let lower = self.since_id.clone().or(self.since_date.map(crate::id::min_at));
        let upper = self.until_id.clone().or(self.until_date.map(crate::id::min_at));
        let ascending = lower.is_some() && upper.is_none();
        Ok(Bounds { lower, upper, ascending, limit: limit as i64 })
    }
}

pub(crate) use crate::db::page::paginate;

/// How many more pages are read to fill one that hard-muted words thinned.
const REFILLS: usize = 4;

/// Reads a list (`list` makes it for a range) with its packing in one statement and answers the
/// packed page. Notes the viewer's hard-muted words hide are left out and the page is filled
/// from further on, so that a client paging until a short page does not stop early.
pub async fn run(ctx: &Ctx, list: impl Fn(&Bounds) -> List, b: &Bounds) -> Result<Out, ApiError> {
    let hard = ctx.me.as_ref().and_then(|m| m.hard_muted.as_deref());
    let mut conn = ctx.db().await?;
    let mut rows = tl::load(&mut conn, list(b)).await?;
    if hard.is_some() {
        let mut cur = b.clone();
        let mut round = std::mem::take(&mut rows);
        for refill in 0..=REFILLS {
            let top: Vec<&str> = round.iter().filter(|r| !r.nested).map(|r| r.note.id.as_str()).collect();
            let exhausted = (top.len() as i64) < cur.limit;
            let edge = if cur.ascending { top.iter().max() } else { top.iter().min() }.map(|s| s.to_string());
            round.retain(|r| r.nested || !crate::domain::words::hides(hard, ctx.me_id(), &r.note));
            rows.append(&mut round);
            let shown = rows.iter().filter(|r| !r.nested).count() as i64;
            let Some(edge) = edge else { break };
            if exhausted || shown >= b.limit || refill == REFILLS {
                break;
            }
            if cur.ascending {
                cur.lower = Some(edge);
            } else {
                cur.upper = Some(edge);
            }
            round = tl::load(&mut conn, list(&cur)).await?;
        }
    }
    drop(conn);
    let order = if b.ascending { Order::Oldest } else { Order::Newest };
    let mut page = pack_notes::render_page(&ctx.state.config.url, ctx.me_id(), &rows, order);
    page.truncate(usize::try_from(b.limit).unwrap_or(usize::MAX));
    Ok(Out::Bytes(serde_json::to_vec(&page).map_err(ApiError::internal)?.into()))
}

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

impl TimelineParams {
    fn switches(&self) -> Switches {
        Switches {
            with_renotes: self.with_renotes,
            with_files: self.with_files,
            with_replies: self.with_replies,
        }
    }
}

pub async fn home(ctx: Ctx, p: TimelineParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(10)?;
    run(&ctx, |b| tl::home(&me, b, p.switches()), &b).await
}

async fn allowed(ctx: &Ctx, which: Public) -> Result<(), ApiError> {
    let staff = ctx.me.as_ref().is_some_and(|m| m.is_staff());
    Ok(tl::allowed(which, staff, &*ctx.policies().await?)?)
}

pub async fn local(ctx: Ctx, p: TimelineParams) -> Result<Out, ApiError> {
    tl_flags(p.with_replies, p.with_files, "dd9c8400-1cb5-4eef-8a31-200c5f933793")?;
    allowed(&ctx, Public::Local).await?;
    let b = p.page.bounds(10)?;
    run(&ctx, |b| tl::local(ctx.me_id(), b, p.switches()), &b).await
}

pub async fn hybrid(ctx: Ctx, p: TimelineParams) -> Result<Out, ApiError> {
    tl_flags(p.with_replies, p.with_files, "dfaa3eb7-8002-4cb7-bcc4-1095df46656f")?;
    allowed(&ctx, Public::Hybrid).await?;
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(10)?;
    run(&ctx, |b| tl::hybrid(&me, b, p.switches()), &b).await
}

pub async fn global(ctx: Ctx, p: TimelineParams) -> Result<Out, ApiError> {
    allowed(&ctx, Public::Global).await?;
    let b = p.page.bounds(10)?;
    run(&ctx, |b| tl::global(ctx.me_id(), b, p.switches()), &b).await
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
    run(&ctx, |b| tl::user_list(&me, &p.list_id, b, p.tl.switches()), &b).await
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
    let s = Switches { with_renotes: p.with_renotes, with_files: p.with_files, with_replies: p.with_replies };
    run(&ctx, |b| tl::user_notes(ctx.me_id(), &p.user_id, b, s), &b).await
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
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(10)?;
    if let Some(v) = &p.visibility {
        if !crate::domain::notes::VISIBILITIES.contains(&v.as_str()) {
            return Err(ApiError::invalid_param(
                "visibility",
                "must be public, home, followers or specified",
            ));
        }
    }
    run(&ctx, |b| tl::mentions(&me, b, p.following, p.visibility.as_deref()), &b).await
}

/// Replies to, renotes of, or the children of a note, visible to the caller.
pub async fn related(ctx: &Ctx, note_id: &str, kind: Related, page: &Page) -> Result<Out, ApiError> {
    let b = page.bounds(10)?;
    run(ctx, |b| tl::related(ctx.me_id(), note_id, kind, b), &b).await
}

/// Full-text search (see `domain::search`), newest first.
pub async fn search(
    ctx: &Ctx,
    tsquery: &str,
    like: &str,
    user_id: Option<&str>,
    page: &Page,
) -> Result<Out, ApiError> {
    let b = page.bounds(10)?;
    run(ctx, |b| tl::search(ctx.me_id(), tsquery, like, user_id, b), &b).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchByTagParams {
    /// One hashtag (without `#`); or `query`.
    #[schemars(length(max = 128))]
    tag: Option<String>,
    /// Any of these groups, each needing all of its hashtags: `[["a","b"],["c"]]` is (a and b) or c.
    query: Option<AtMost<16, AtMost<16, String>>>,
    /// Only replies (true), no replies (false), either (null).
    #[serde(default)]
    reply: Option<bool>,
    /// Only renotes (true), no renotes (false), either (null).
    #[serde(default)]
    renote: Option<bool>,
    /// Only notes with a poll (true), without (false), either (null).
    #[serde(default)]
    poll: Option<bool>,
    #[serde(default)]
    with_files: bool,
    #[serde(flatten)]
    page: Page,
}

pub async fn search_by_tag(ctx: Ctx, p: SearchByTagParams) -> Result<Out, ApiError> {
    let groups: Vec<Vec<String>> = match (p.tag, p.query) {
        (Some(tag), None) => vec![vec![tag]],
        (None, Some(q)) => q.0.into_iter().map(|g| g.0).collect(),
        _ => return Err(ApiError::invalid_param("tag", "give either tag or query")),
    };
    // No stored hashtag is longer than 128 characters.
    if groups.iter().flatten().any(|t| t.chars().count() > 128) {
        return Err(ApiError::invalid_param("tag", "a hashtag has at most 128 characters"));
    }
    let f = TagFilter { reply: p.reply, renote: p.renote, poll: p.poll, with_files: p.with_files };
    let b = p.page.bounds(10)?;
    run(&ctx, |b| tl::tagged(ctx.me_id(), &groups, f, b), &b).await
}
