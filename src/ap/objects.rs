//! Local objects for other servers: actors (`/users/:id`, `/@:username`), their key, outbox,
//! follow lists and pinned notes, and notes (`/notes/:id`, `/notes/:id/activity`). Each path
//! answers ActivityStreams JSON when asked for it and the web UI (with the page's title) otherwise.

use super::render::{self, NoteParts, PollRow, ACTIVITY_JSON};
use crate::db::notes::NoteRow;
use crate::db::schema::{following, notes, polls, user_keypairs, user_profiles, users};
use crate::db::users::{ProfileRow, UserRow};
use crate::domain::federation::{actor_uri, follow_list_servable, servable};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Items per collection page.
const PAGE: i64 = 20;

/// Whether the client asked for ActivityStreams (`application/activity+json`, or JSON-LD with
/// the ActivityStreams profile).
pub fn wants_activity(req: &HttpRequest) -> bool {
    req.headers().get_all("accept").filter_map(|v| v.to_str().ok()).any(|accept| {
        let a = accept.to_ascii_lowercase();
        a.contains("application/activity+json") || a.contains("application/ld+json")
    })
}

pub fn activity_json(doc: Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ACTIVITY_JSON)
        .insert_header(("Cache-Control", "public, max-age=180"))
        .insert_header(("Vary", "Accept"))
        .json(doc)
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

fn unavailable(e: impl std::fmt::Display) -> HttpResponse {
    tracing::warn!(error = %e, "serving an ActivityPub object failed");
    HttpResponse::ServiceUnavailable().insert_header(("Retry-After", "5")).finish()
}

struct Actor {
    user: UserRow,
    profile: Option<ProfileRow>,
    public_key: String,
}

/// A local, not suspended user with profile and public key.
async fn local_actor(conn: &mut AsyncPgConnection, by: By<'_>) -> QueryResult<Option<Actor>> {
    let q = users::table.filter(users::host.is_null().and(users::is_suspended.eq(false))).into_boxed();
    let q = match by {
        By::Id(id) => q.filter(users::id.eq(id)),
        By::Username(name) => q.filter(users::username_lower.eq(name.to_lowercase())),
    };
    let Some(user) = q.select(UserRow::as_select()).first(conn).await.optional()? else {
        return Ok(None);
    };
    let profile =
        user_profiles::table.find(&user.id).select(ProfileRow::as_select()).first(conn).await.optional()?;
    let key: Option<String> =
        user_keypairs::table.find(&user.id).select(user_keypairs::public_key).first(conn).await.optional()?;
    Ok(key.map(|public_key| Actor { user, profile, public_key }))
}

/// A pooled connection and the local actor, or the response to give instead.
async fn found(state: &AppState, by: By<'_>) -> Result<(crate::db::DbConn, Actor), HttpResponse> {
    let mut conn = state.db.get().await.map_err(unavailable)?;
    match local_actor(&mut conn, by).await {
        Ok(Some(a)) => Ok((conn, a)),
        Ok(None) => Err(not_found()),
        Err(e) => Err(unavailable(e)),
    }
}

enum By<'a> {
    Id(&'a str),
    Username(&'a str),
}

/// A local user's actor document, for Update(Person).
pub async fn person_document(
    conn: &mut AsyncPgConnection,
    base: &str,
    id: &str,
) -> QueryResult<Option<Value>> {
    Ok(local_actor(conn, By::Id(id))
        .await?
        .map(|a| render::person(base, &a.user, a.profile.as_ref(), &a.public_key)))
}

async fn actor_response(state: &AppState, req: &HttpRequest, by: By<'_>) -> HttpResponse {
    let by_id = matches!(by, By::Id(_));
    let actor = match found(state, by).await {
        Ok((_, a)) => a,
        // A browser gets the web UI, which says what there is (a remote `@alice@host`, say).
        Err(_) if !wants_activity(req) && !by_id => return crate::http::ui::page(state, req, None),
        Err(r) => return r,
    };
    let base = &state.config.url;
    if wants_activity(req) {
        return activity_json(render::person(base, &actor.user, actor.profile.as_ref(), &actor.public_key));
    }
    if by_id {
        // People read profiles at /@username.
        return HttpResponse::Found()
            .insert_header(("Location", format!("/@{}", actor.user.username)))
            .insert_header(("Vary", "Accept"))
            .finish();
    }
    let name = actor.user.name.clone().unwrap_or_else(|| actor.user.username.clone());
    let about = actor.profile.and_then(|p| p.description).unwrap_or_default();
    let title = format!("{name} (@{})", actor.user.username);
    let alternate = actor_uri(base, &actor.user);
    let meta = crate::http::ui::PageMeta { title: &title, description: &about, alternate: &alternate };
    crate::http::ui::page(state, req, Some(meta))
}

async fn user_by_id(state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    actor_response(&state, &req, By::Id(&id)).await
}

async fn user_by_acct(state: web::Data<AppState>, req: HttpRequest, acct: web::Path<String>) -> HttpResponse {
    // `/@name` is local; `/@name@this-host` too.
    let (name, host) = acct.split_once('@').unwrap_or((acct.as_str(), ""));
    if !host.is_empty() && !host.eq_ignore_ascii_case(&state.config.host()) {
        // Another server's user: the web UI looks them up for a browser.
        return if wants_activity(&req) { not_found() } else { crate::http::ui::page(&state, &req, None) };
    }
    actor_response(&state, &req, By::Username(name)).await
}

async fn public_key(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    match found(&state, By::Id(&id)).await {
        Ok((_, a)) => {
            let owner = actor_uri(&state.config.url, &a.user);
            activity_json(render::with_context(json!({
                "id": format!("{owner}#main-key"), "type": "Key", "owner": owner, "publicKeyPem": a.public_key,
            })))
        }
        Err(r) => r,
    }
}

/// A poll row: note id, end, multiple choice, choices, votes.
type PollColumns = (String, Option<chrono::DateTime<chrono::Utc>>, bool, Vec<String>, Vec<i32>);

/// Notes with everything their rendering needs, loaded in a fixed number of statements.
pub struct NoteBatch {
    users: HashMap<String, UserRow>,
    targets: HashMap<String, NoteRow>,
    polls: HashMap<String, PollRow>,
    files: HashMap<String, crate::db::drive::FileRow>,
    emojis: std::sync::Arc<HashMap<String, crate::domain::emoji::EmojiRow>>,
}

impl NoteBatch {
    pub async fn load(conn: &mut AsyncPgConnection, list: &[NoteRow]) -> QueryResult<Self> {
        let target_ids: Vec<String> =
            list.iter().flat_map(|n| n.reply_id.iter().chain(n.renote_id.iter())).cloned().collect();
        let targets: Vec<NoteRow> = if target_ids.is_empty() {
            vec![]
        } else {
            notes::table.filter(notes::id.eq_any(&target_ids)).select(NoteRow::as_select()).load(conn).await?
        };
        let mut user_ids: Vec<String> = list.iter().chain(&targets).map(|n| n.user_id.clone()).collect();
        user_ids.extend(list.iter().flat_map(|n| n.mentions.iter().cloned()));
        user_ids.sort();
        user_ids.dedup();
        let users = crate::db::users::load(conn, &user_ids).await?;
        let poll_ids: Vec<&String> = list.iter().filter(|n| n.has_poll).map(|n| &n.id).collect();
        let polls: Vec<PollColumns> = if poll_ids.is_empty() {
            vec![]
        } else {
            polls::table
                .filter(polls::note_id.eq_any(poll_ids))
                .select((polls::note_id, polls::expires_at, polls::multiple, polls::choices, polls::votes))
                .load(conn)
                .await?
        };
        let file_ids: Vec<String> = list.iter().flat_map(|n| n.file_ids.iter().cloned()).collect();
        let files = if file_ids.is_empty() {
            HashMap::new()
        } else {
            use crate::db::drive::FileRow;
            use crate::db::schema::drive_files;
            let rows: Vec<FileRow> = drive_files::table
                .filter(drive_files::id.eq_any(&file_ids))
                .select(FileRow::as_select())
                .load(conn)
                .await?;
            rows.into_iter().map(|f| (f.id.clone(), f)).collect()
        };
        let emojis = if list.iter().any(|n| n.user_host.is_none() && !n.emojis.is_empty()) {
            crate::domain::emoji::local(conn)
                .await
                .map_err(|e| diesel::result::Error::QueryBuilderError(format!("{e:?}").into()))?
        } else {
            Default::default()
        };
        Ok(NoteBatch {
            emojis,
            files,
            users,
            targets: targets.into_iter().map(|n| (n.id.clone(), n)).collect(),
            polls: polls
                .into_iter()
                .map(|(id, expires_at, multiple, choices, votes)| {
                    (id, PollRow { expires_at, multiple, choices, votes })
                })
                .collect(),
        })
    }

    /// The parts of `n` (None when its author is gone).
    pub fn parts<'a>(&'a self, n: &NoteRow) -> Option<NoteParts<'a>> {
        Some(NoteParts {
            author: self.users.get(&n.user_id)?,
            reply: n.reply_id.as_ref().and_then(|id| self.targets.get(id)),
            renote: n.renote_id.as_ref().and_then(|id| self.targets.get(id)),
            mentioned: n.mentions.iter().filter_map(|id| self.users.get(id)).collect(),
            poll: self.polls.get(&n.id),
            files: n.file_ids.iter().filter_map(|id| self.files.get(id)).collect(),
            emojis: n
                .emojis
                .iter()
                .filter_map(|name| self.emojis.get(name))
                .filter(|e| !e.local_only)
                .collect(),
        })
    }
}

/// A note an anonymous fetch may see, with its parts, or the response to give instead.
async fn servable_note(state: &AppState, id: &str) -> Result<(NoteRow, NoteBatch), HttpResponse> {
    let mut conn = state.db.get().await.map_err(unavailable)?;
    let note = crate::db::notes::load_one(&mut conn, id).await.map_err(unavailable)?.ok_or_else(not_found)?;
    if note.user_host.is_some() {
        // A remote note is at home on its own server.
        return match &note.uri {
            Some(uri) => Err(HttpResponse::Found().insert_header(("Location", uri.as_str())).finish()),
            None => Err(not_found()),
        };
    }
    if !servable(&note) {
        return Err(not_found());
    }
    let batch = NoteBatch::load(&mut conn, std::slice::from_ref(&note)).await.map_err(unavailable)?;
    match batch.users.get(&note.user_id) {
        Some(author) if !author.is_suspended => Ok((note, batch)),
        _ => Err(not_found()),
    }
}

async fn note(state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (n, batch) = match servable_note(&state, &id).await {
        Ok(x) => x,
        // A browser gets the web UI, which shows the note to whoever may see it.
        Err(_) if !wants_activity(&req) => return crate::http::ui::page(&state, &req, None),
        Err(r) => return r,
    };
    let Some(parts) = batch.parts(&n) else { return not_found() };
    let base = &state.config.url;
    if !wants_activity(&req) {
        let title = format!(
            "{} (@{})",
            parts.author.name.as_deref().unwrap_or(&parts.author.username),
            parts.author.username
        );
        // What a warning hides stays hidden in previews too.
        let description = if n.cw.is_some() { n.cw.as_deref() } else { n.text.as_deref() };
        let alternate = crate::domain::federation::note_uri(base, &n);
        let meta = crate::http::ui::PageMeta {
            title: &title,
            description: description.unwrap_or_default(),
            alternate: &alternate,
        };
        return crate::http::ui::page(&state, &req, Some(meta));
    }
    if crate::domain::notes::is_pure_renote(&n) {
        // A renote is an activity, not an object.
        return not_found();
    }
    activity_json(render::with_context(render::note(base, &n, &parts)))
}

/// A local custom emoji as its Emoji document.
async fn emoji(state: web::Data<AppState>, name: web::Path<String>) -> HttpResponse {
    let mut conn = match state.db.get().await {
        Ok(c) => c,
        Err(e) => return unavailable(e),
    };
    match crate::domain::emoji::local(&mut conn).await {
        Ok(map) => match map.get(name.as_str()).filter(|e| !e.local_only) {
            Some(e) => activity_json(render::with_context(render::emoji(&state.config.url, e))),
            None => not_found(),
        },
        Err(e) => unavailable(format!("{e:?}")),
    }
}

async fn note_activity(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    let (n, batch) = match servable_note(&state, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match batch.parts(&n) {
        Some(parts) => activity_json(render::with_context(render::activity(&state.config.url, &n, &parts))),
        None => not_found(),
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
    until_id: Option<String>,
}

impl PageQuery {
    fn is_page(&self) -> bool {
        self.page.as_deref().is_some_and(|p| p == "true" || p == "1")
    }
}

fn collection(id: &str, total: i64, first: Option<String>) -> Value {
    let mut c = json!({ "id": id, "type": "OrderedCollection", "totalItems": total });
    if let Some(f) = first {
        c["first"] = json!(f);
    }
    render::with_context(c)
}

fn collection_page(id: &str, of: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut p = json!({ "id": id, "type": "OrderedCollectionPage", "partOf": of, "orderedItems": items });
    if let Some(n) = next {
        p["next"] = json!(n);
    }
    render::with_context(p)
}

fn page_url(of: &str, until: Option<&str>) -> String {
    match until {
        Some(u) => format!("{of}?page=true&until_id={}", crate::mfm::to_html::encode_uri_component(u)),
        None => format!("{of}?page=true"),
    }
}

async fn outbox(state: web::Data<AppState>, id: web::Path<String>, q: web::Query<PageQuery>) -> HttpResponse {
    let (mut conn, actor) = match found(&state, By::Id(&id)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let base = &state.config.url;
    let of = format!("{}/outbox", actor_uri(base, &actor.user));
    let public = notes::table
        .filter(notes::user_id.eq(&actor.user.id))
        .filter(notes::visibility.eq_any(["public", "home"]).and(notes::local_only.eq(false)))
        .into_boxed();
    if !q.is_page() {
        return match public.count().get_result::<i64>(&mut conn).await {
            Ok(n) => activity_json(collection(&of, n, Some(page_url(&of, None)))),
            Err(e) => unavailable(e),
        };
    }
    let mut list = public;
    if let Some(u) = &q.until_id {
        list = list.filter(notes::id.lt(u));
    }
    let rows: Vec<NoteRow> =
        match list.order(notes::id.desc()).limit(PAGE).select(NoteRow::as_select()).load(&mut conn).await {
            Ok(r) => r,
            Err(e) => return unavailable(e),
        };
    let batch = match NoteBatch::load(&mut conn, &rows).await {
        Ok(b) => b,
        Err(e) => return unavailable(e),
    };
    let items: Vec<Value> =
        rows.iter().filter_map(|n| batch.parts(n).map(|p| render::activity(base, n, &p))).collect();
    let next = (rows.len() as i64 == PAGE).then(|| page_url(&of, rows.last().map(|n| n.id.as_str())));
    let this = page_url(&of, q.until_id.as_deref());
    activity_json(collection_page(&this, &of, items, next))
}

async fn follow_list(state: &AppState, id: &str, q: &PageQuery, followers: bool) -> HttpResponse {
    let (mut conn, actor) = match found(state, By::Id(id)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let visibility = actor.profile.as_ref().map(|p| {
        if followers {
            p.followers_visibility.clone()
        } else {
            p.following_visibility.clone()
        }
    });
    if !follow_list_servable(visibility.as_deref().unwrap_or("public")) {
        return HttpResponse::Forbidden().finish();
    }
    let base = &state.config.url;
    let of =
        format!("{}/{}", actor_uri(base, &actor.user), if followers { "followers" } else { "following" });
    if !q.is_page() {
        let total = if followers { actor.user.followers_count } else { actor.user.following_count };
        return activity_json(collection(&of, i64::from(total), Some(page_url(&of, None))));
    }
    let mut list = following::table.into_boxed();
    list = if followers {
        list.filter(following::followee_id.eq(&actor.user.id))
    } else {
        list.filter(following::follower_id.eq(&actor.user.id))
    };
    if let Some(u) = &q.until_id {
        list = list.filter(following::id.lt(u));
    }
    let ordered = list.order(following::id.desc()).limit(PAGE);
    let rows: QueryResult<Vec<(String, String)>> = if followers {
        ordered.select((following::id, following::follower_id)).load(&mut conn).await
    } else {
        ordered.select((following::id, following::followee_id)).load(&mut conn).await
    };
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return unavailable(e),
    };
    let ids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let users = match crate::db::users::load(&mut conn, &ids).await {
        Ok(u) => u,
        Err(e) => return unavailable(e),
    };
    let items: Vec<Value> =
        ids.iter().filter_map(|id| users.get(id)).map(|u| json!(actor_uri(base, u))).collect();
    let next = (rows.len() as i64 == PAGE).then(|| page_url(&of, rows.last().map(|r| r.0.as_str())));
    activity_json(collection_page(&page_url(&of, q.until_id.as_deref()), &of, items, next))
}

async fn followers(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> HttpResponse {
    follow_list(&state, &id, &q, true).await
}

async fn following_list(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> HttpResponse {
    follow_list(&state, &id, &q, false).await
}

async fn featured(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    let (mut conn, actor) = match found(&state, By::Id(&id)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let pinned = actor.profile.as_ref().map(|p| p.pinned_note_ids.clone()).unwrap_or_default();
    let rows: Vec<NoteRow> = match notes::table
        .filter(notes::id.eq_any(&pinned))
        .select(NoteRow::as_select())
        .load(&mut conn)
        .await
    {
        Ok(r) => r,
        Err(e) => return unavailable(e),
    };
    let rows: Vec<NoteRow> =
        pinned.iter().filter_map(|id| rows.iter().find(|n| &n.id == id && servable(n)).cloned()).collect();
    let batch = match NoteBatch::load(&mut conn, &rows).await {
        Ok(b) => b,
        Err(e) => return unavailable(e),
    };
    let base = &state.config.url;
    let items: Vec<Value> =
        rows.iter().filter_map(|n| batch.parts(n).map(|p| render::note(base, n, &p))).collect();
    let of = format!("{}/collections/featured", actor_uri(base, &actor.user));
    activity_json(render::with_context(json!({
        "id": of, "type": "OrderedCollection", "totalItems": items.len(), "orderedItems": items,
    })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}", web::get().to(user_by_id))
        .route("/users/{id}/publickey", web::get().to(public_key))
        .route("/users/{id}/outbox", web::get().to(outbox))
        .route("/users/{id}/followers", web::get().to(followers))
        .route("/users/{id}/following", web::get().to(following_list))
        .route("/users/{id}/collections/featured", web::get().to(featured))
        .route("/@{acct}", web::get().to(user_by_acct))
        .route("/notes/{id}", web::get().to(note))
        .route("/notes/{id}/activity", web::get().to(note_activity))
        .route("/emojis/{name}", web::get().to(emoji));
}
