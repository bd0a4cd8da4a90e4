//! notes/*: posting, deleting, showing and the lists around one note; reactions, polls,
//! favorites and search.

use super::endpoint::{Ctx, Out};
use super::pack::notes::{self as pack_notes, NoteRow};
use super::params::AtMost;
use super::timelines::{self, paginate, Page, Related};
use super::ApiError;
use crate::db::schema::{note_favorites, note_reactions, notes};
use crate::domain::notes::{self as dom, Draft, DraftPoll, Origin, PollEnd};
use crate::domain::{reactions, search, visibility};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollParams {
    choices: Vec<String>,
    #[serde(default)]
    multiple: bool,
    expires_at: Option<i64>,
    expired_after: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateParams {
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    visible_user_ids: AtMost<100, String>,
    cw: Option<String>,
    #[serde(default)]
    local_only: bool,
    reaction_acceptance: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    no_extract_mentions: bool,
    #[serde(default)]
    #[allow(dead_code)]
    no_extract_hashtags: bool,
    #[serde(default)]
    #[allow(dead_code)]
    no_extract_emojis: bool,
    reply_id: Option<String>,
    renote_id: Option<String>,
    channel_id: Option<String>,
    text: Option<String>,
    /// Up to 16 of the author's drive files.
    file_ids: Option<super::params::AtMost<16, String>>,
    /// The old name of `fileIds`.
    media_ids: Option<super::params::AtMost<16, String>>,
    poll: Option<PollParams>,
}

pub async fn create(ctx: Ctx, p: CreateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let poll = p.poll.map(|pp| DraftPoll {
        choices: pp.choices,
        multiple: pp.multiple,
        ends: match (pp.expires_at, pp.expired_after) {
            (Some(at), _) => PollEnd::At(at),
            (None, Some(after)) => PollEnd::After(after),
            (None, None) => PollEnd::Never,
        },
    });
    let draft = Draft {
        text: p.text,
        cw: p.cw,
        visibility: p.visibility,
        visible_user_ids: p.visible_user_ids.0,
        local_only: p.local_only,
        reply_id: p.reply_id,
        renote_id: p.renote_id,
        poll,
        reaction_acceptance: p.reaction_acceptance,
        file_ids: p.file_ids.or(p.media_ids).map(|f| f.0).unwrap_or_default(),
        channel_id: p.channel_id,
        mentions: vec![],
    };
    let policies = ctx.policies().await?;
    let host = ctx.state.config.host();
    let origin = Origin::Local { policies: &policies };
    let stored = dom::create(&ctx.state.db, &ctx.state.notes, &host, origin, &me, draft).await?;
    let mut conn = ctx.db().await?;
    let packed = pack_notes::pack_created(&mut conn, &ctx.state.config.url, &me, stored).await?;
    Ok(json!({ "createdNote": packed }).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoteIdParams {
    note_id: String,
}

pub async fn delete(ctx: Ctx, p: NoteIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?;
    let mut conn = ctx.db().await?;
    let note = crate::db::notes::load_one(&mut conn, &p.note_id).await?.ok_or_else(|| {
        ApiError::client("NO_SUCH_NOTE", "490be23f-8c1f-4796-819f-94cb4f9d1630", "No such note.")
    })?;
    if note.user_id != me.id && !me.is_staff() {
        return Err(ApiError::client(
            "ACCESS_DENIED",
            "fe8d7103-0ea8-4ec3-814d-f8b401dc69e9",
            "Access denied.",
        ));
    }
    dom::delete(&mut conn, &note).await?;
    Ok(().into())
}

async fn shown(ctx: &Ctx, id: &str, err: ApiError) -> Result<NoteRow, ApiError> {
    let mut conn = ctx.db().await?;
    visibility::visible_note(&mut conn, ctx.me_id(), id).await?.ok_or(err)
}

pub async fn show(ctx: Ctx, p: NoteIdParams) -> Result<Out, ApiError> {
    let note = shown(
        &ctx,
        &p.note_id,
        ApiError::client("NO_SUCH_NOTE", "24fcbfc6-2e37-42b6-8388-c29b3861a08d", "No such note."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    let packed = pack_notes::pack(&mut conn, &ctx.state.config.url, ctx.me_id(), &[note]).await?;
    Ok(packed.into_iter().next().unwrap_or(Value::Null).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotePageParams {
    note_id: String,
    #[serde(flatten)]
    page: Page,
}

pub async fn children(ctx: Ctx, p: NotePageParams) -> Result<Out, ApiError> {
    timelines::related(&ctx, &p.note_id, Related::Children, &p.page).await
}

pub async fn replies(ctx: Ctx, p: NotePageParams) -> Result<Out, ApiError> {
    timelines::related(&ctx, &p.note_id, Related::Replies, &p.page).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenotesParams {
    note_id: String,
    #[serde(flatten)]
    page: Page,
    #[serde(default)]
    quote: bool,
}

pub async fn renotes(ctx: Ctx, p: RenotesParams) -> Result<Out, ApiError> {
    shown(
        &ctx,
        &p.note_id,
        ApiError::client("NO_SUCH_NOTE", "12908022-2e21-46cd-ba6a-3edaf6093f46", "No such note."),
    )
    .await?;
    let kind = if p.quote { Related::QuotesOnly } else { Related::Renotes };
    timelines::related(&ctx, &p.note_id, kind, &p.page).await
}

pub async fn unrenote(ctx: Ctx, p: NoteIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    shown(
        &ctx,
        &p.note_id,
        ApiError::client("NO_SUCH_NOTE", "efd4a259-2442-496b-8dd7-b255aa1a160f", "No such note."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    let mine: Vec<NoteRow> = notes::table
        .filter(notes::renote_id.eq(&p.note_id).and(notes::user_id.eq(&me)))
        .select(NoteRow::as_select())
        .load(&mut conn)
        .await?;
    for n in mine.iter().filter(|n| dom::is_pure_renote(n)) {
        dom::delete(&mut conn, n).await?;
    }
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationParams {
    note_id: String,
    /// 1–100.
    limit: Option<u32>,
    /// At most 100: each step walks one note up the thread.
    #[schemars(range(max = 100))]
    offset: Option<u32>,
}

/// The chain of notes the given note replies to, nearest first.
pub async fn conversation(ctx: Ctx, p: ConversationParams) -> Result<Out, ApiError> {
    let limit = super::params::limit(p.limit, 10)?;
    if p.offset.is_some_and(|o| o > 100) {
        return Err(ApiError::invalid_param("offset", "must be at most 100"));
    }
    let note = shown(
        &ctx,
        &p.note_id,
        ApiError::client("NO_SUCH_NOTE", "e1035875-9551-45ec-afa8-1ded1fcb53c8", "No such note."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    let mut chain = vec![];
    let mut next = note.reply_id.clone();
    let mut skip = p.offset.unwrap_or(0);
    while let Some(id) = next {
        if chain.len() >= limit as usize {
            break;
        }
        let Some(n) = visibility::visible_note(&mut conn, ctx.me_id(), &id).await? else { break };
        next = n.reply_id.clone();
        if skip > 0 {
            skip -= 1;
        } else {
            chain.push(n);
        }
    }
    Ok(Value::Array(pack_notes::pack(&mut conn, &ctx.state.config.url, ctx.me_id(), &chain).await?).into())
}

pub async fn state(ctx: Ctx, p: NoteIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    let fav: bool = diesel::select(diesel::dsl::exists(
        note_favorites::table
            .filter(note_favorites::user_id.eq(&me).and(note_favorites::note_id.eq(&p.note_id))),
    ))
    .get_result(&mut conn)
    .await?;
    Ok(json!({ "isFavorited": fav, "isMutedThread": false }).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchParams {
    query: String,
    #[serde(flatten)]
    page: Page,
    user_id: Option<String>,
    #[allow(dead_code)]
    host: Option<String>,
    #[allow(dead_code)]
    channel_id: Option<String>,
    #[allow(dead_code)]
    offset: Option<u32>,
}

pub async fn search_notes(ctx: Ctx, p: SearchParams) -> Result<Out, ApiError> {
    let policies = ctx.policies().await?;
    if !policies.can_search_notes && !ctx.me.as_ref().is_some_and(|m| m.is_staff()) {
        return Err(ApiError::client(
            "UNAVAILABLE",
            "0b44998d-77aa-4427-80d0-d2c9b8523011",
            "Search of notes unavailable.",
        ));
    }
    let Some(tsq) = search::query(&p.query) else {
        return Ok(json!([]).into());
    };
    let like = format!("%{}%", crate::db::like_escape(p.query.trim()));
    timelines::search(&ctx, &tsq, &like, p.user_id.as_deref(), &p.page).await
}

#[derive(Deserialize, JsonSchema)]
pub struct HashtagSearchParams {
    /// The start of a hashtag (with or without `#`).
    #[schemars(length(max = 128))]
    query: String,
    /// 1–100; 10 when absent.
    limit: Option<u32>,
    offset: Option<u32>,
}

pub async fn search_hashtags(ctx: Ctx, p: HashtagSearchParams) -> Result<Out, ApiError> {
    let limit = super::params::limit(p.limit, 10)?;
    let offset = i64::from(p.offset.unwrap_or(0).min(10_000));
    let mut conn = ctx.db().await?;
    let query: String = p.query.chars().take(128).collect();
    Ok(json!(search::hashtags(&mut conn, &query, i64::from(limit), offset).await?).into())
}

// ---- reactions ----

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReactionsParams {
    note_id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(flatten)]
    page: Page,
}

pub async fn reactions(ctx: Ctx, p: ReactionsParams) -> Result<Out, ApiError> {
    shown(
        &ctx,
        &p.note_id,
        ApiError::client("NO_SUCH_NOTE", "263fff3d-d0e1-4af4-bea7-8408059b451a", "No such note."),
    )
    .await?;
    let b = p.page.bounds(10)?;
    let mut conn = ctx.db().await?;
    let mut q = note_reactions::table.filter(note_reactions::note_id.eq(&p.note_id)).into_boxed();
    if let Some(t) = &p.kind {
        q = q.filter(note_reactions::reaction.eq(t.replace("@.:", ":")));
    }
    q = paginate!(q, note_reactions::id, b);
    let rows: Vec<(String, chrono::DateTime<Utc>, String, String)> = q
        .select((
            note_reactions::id,
            note_reactions::created_at,
            note_reactions::user_id,
            note_reactions::reaction,
        ))
        .limit(b.limit)
        .load(&mut conn)
        .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
    let users = super::pack::users::load(&mut conn, &ids).await?;
    let base = &ctx.state.config.url;
    Ok(Value::Array(
        rows.iter()
            .filter_map(|(id, at, uid, r)| {
                users.get(uid).map(|u| {
                    json!({
                        "id": id,
                        "createdAt": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        "user": super::pack::users::lite(base, u),
                        "type": reactions::key(r),
                    })
                })
            })
            .collect(),
    )
    .into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReactParams {
    note_id: String,
    reaction: String,
}

pub async fn react(ctx: Ctx, p: ReactParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    reactions::react(&mut *ctx.db().await?, &me, &p.note_id, &p.reaction).await?;
    Ok(().into())
}

pub async fn unreact(ctx: Ctx, p: NoteIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    reactions::unreact(&mut *ctx.db().await?, &me, &p.note_id).await?;
    Ok(().into())
}

// ---- polls ----

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VoteParams {
    note_id: String,
    choice: i32,
}

pub async fn vote(ctx: Ctx, p: VoteParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    crate::domain::polls::vote(&mut *ctx.db().await?, &me, &p.note_id, p.choice).await?;
    Ok(().into())
}

// ---- favorites ----

pub async fn favorite(ctx: Ctx, p: NoteIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    shown(
        &ctx,
        &p.note_id,
        ApiError::client("NO_SUCH_NOTE", "6dd26674-e060-4816-909a-45ba3f4da458", "No such note."),
    )
    .await?;
    let mut conn = ctx.db().await?;
    let n = diesel::insert_into(note_favorites::table)
        .values((
            note_favorites::id.eq(crate::id::gen()),
            note_favorites::created_at.eq(Utc::now()),
            note_favorites::user_id.eq(&me),
            note_favorites::note_id.eq(&p.note_id),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    if n == 0 {
        return Err(ApiError::client(
            "ALREADY_FAVORITED",
            "a402c12b-34dd-41d2-97d8-4d2ffd96a1a6",
            "The note has already been marked as a favorite.",
        ));
    }
    Ok(().into())
}

pub async fn unfavorite(ctx: Ctx, p: NoteIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    if crate::db::notes::load_one(&mut conn, &p.note_id).await?.is_none() {
        return Err(ApiError::client(
            "NO_SUCH_NOTE",
            "80848a2c-398f-4343-baa9-df1d57696c56",
            "No such note.",
        ));
    }
    let n = diesel::delete(
        note_favorites::table
            .filter(note_favorites::user_id.eq(&me).and(note_favorites::note_id.eq(&p.note_id))),
    )
    .execute(&mut conn)
    .await?;
    if n == 0 {
        return Err(ApiError::client(
            "NOT_FAVORITED",
            "b625fc69-635e-45e9-86f4-dbefbef35af5",
            "You have not marked that note a favorite.",
        ));
    }
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageParams {
    #[serde(flatten)]
    page: Page,
}

pub async fn my_favorites(ctx: Ctx, p: PageParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(10)?;
    let mut conn = ctx.db().await?;
    let mut q = note_favorites::table.filter(note_favorites::user_id.eq(&me)).into_boxed();
    q = paginate!(q, note_favorites::id, b);
    let favs: Vec<(String, chrono::DateTime<Utc>, String)> = q
        .select((note_favorites::id, note_favorites::created_at, note_favorites::note_id))
        .limit(b.limit)
        .load(&mut conn)
        .await?;
    let ids: Vec<String> = favs.iter().map(|f| f.2.clone()).collect();
    let packed = pack_notes::by_ids(&mut conn, &ctx.state.config.url, Some(&me), &ids).await?;
    Ok(Value::Array(
        favs.into_iter()
            .filter_map(|(id, at, note_id)| {
                packed.get(&note_id).map(|n| {
                    json!({
                        "id": id,
                        "createdAt": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        "noteId": note_id,
                        "note": n,
                    })
                })
            })
            .collect(),
    )
    .into())
}
