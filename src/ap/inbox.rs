//! The inbox: `POST /inbox` and `/users/:id/inbox` verify the request's HTTP Signature before
//! anything is stored (unsigned, wrongly signed or stale requests get 401), check that the
//! signer is the activity's actor and that its server is federated with, enqueue the activity
//! and answer 202. The inbox job then turns each activity into the domain's actions — the same
//! ones local users take through the API.

use super::resolve::{host_of, id_of, ResolveError, MAX_DEPTH};
use super::signature::{self, Incoming, SigError};
use super::Federation;
use crate::db::notes::NoteRow;
use crate::db::users::UserRow;
use crate::domain::jobs::Job;
use crate::domain::notes::{Draft, DraftPoll, Origin, PollEnd};
use crate::domain::{follows, reactions, Error, Refusal};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

/// Largest activity accepted.
pub const MAX_ACTIVITY: usize = 1024 * 1024;
const PUBLIC: [&str; 3] = ["https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"];

fn refuse(status: u16, why: &str) -> HttpResponse {
    let status =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(why.to_string())
}

async fn receive(fed: web::Data<Federation>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if crate::domain::federation::configured().mode == crate::config::FederationMode::None {
        return refuse(403, "federation is off");
    }
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !ct.contains("json") {
        return refuse(415, "an activity is JSON (application/activity+json)");
    }
    if body.len() > MAX_ACTIVITY {
        return refuse(413, "the activity is too large");
    }
    let host_header = req.connection_info().host().to_string();
    let lookup = |name: &str| -> Option<String> {
        if name == "host" {
            return Some(host_header.clone());
        }
        let values: Vec<&str> = req.headers().get_all(name).filter_map(|v| v.to_str().ok()).collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let incoming = Incoming { method: "POST", target, header: &lookup, body: Some(&body) };
    let parsed = match signature::precheck(&incoming, chrono::Utc::now()) {
        Ok(p) => p,
        Err(e) => return refuse(401, &e.to_string()),
    };
    let Some(key_host) = host_of(&parsed.key_id) else { return refuse(401, "keyId is not a URL") };
    if !crate::domain::federation::current().allows(&key_host) {
        return refuse(403, "this server does not federate with yours");
    }
    // The key from cache or store, fetched once more when it does not verify (rotated keys).
    let mut signer: Option<UserRow> = None;
    for refetch in [false, true] {
        match fed.key(&parsed.key_id, refetch).await {
            Ok((user, key)) => match signature::verify(&parsed, &incoming, &key) {
                Ok(()) => {
                    signer = Some(user);
                    break;
                }
                Err(SigError::Invalid) => continue,
                Err(e) => return refuse(401, &e.to_string()),
            },
            // Unverifiable now is unverified: the peer delivers again later.
            Err(e) => return refuse(401, &format!("the signer's key cannot be used: {e}")),
        }
    }
    let Some(signer) = signer else { return refuse(401, "the signature does not verify") };
    let activity: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return refuse(400, "the body is not a JSON object"),
    };
    if crate::api::params::check_no_nul(&activity).is_err() {
        return refuse(400, "the activity holds a NUL character");
    }
    // The signer speaks for itself only.
    if activity.get("actor").and_then(id_of).as_deref() != signer.uri.as_deref() {
        return refuse(401, "the signer is not the activity's actor");
    }
    if signer.is_suspended {
        return refuse(403, "suspended");
    }
    let job = Job::Inbox { activity, signer: signer.id };
    // Answered once the job is committed (with those of the activities arriving beside it).
    if fed.inbox_jobs.enqueue(&job, chrono::Utc::now()).await {
        HttpResponse::Accepted().finish()
    } else {
        refuse(503, "try again shortly")
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    for path in ["/inbox", "/users/{id}/inbox"] {
        cfg.service(
            web::resource(path)
                .app_data(web::PayloadConfig::new(MAX_ACTIVITY))
                .route(web::post().to(receive)),
        );
    }
}

/// Why an activity was not applied.
#[derive(Debug)]
pub enum Skip {
    /// Worth trying again (a peer or the database is away).
    Retry(String),
    /// Never applicable (malformed, not ours, refused by a rule).
    Drop(String),
}

impl From<ResolveError> for Skip {
    fn from(e: ResolveError) -> Self {
        if e.transient() {
            Skip::Retry(e.to_string())
        } else {
            Skip::Drop(e.to_string())
        }
    }
}

impl From<Error> for Skip {
    fn from(e: Error) -> Self {
        ResolveError::Domain(e).into()
    }
}

fn skip(why: impl Into<String>) -> Skip {
    Skip::Drop(why.into())
}

/// The local user a URI names (`{base}/users/{id}`).
async fn local_user(
    fed: &Federation,
    conn: &mut diesel_async::AsyncPgConnection,
    uri: &str,
) -> Result<String, Skip> {
    let id = uri.strip_prefix(&format!("{}/users/", fed.base)).ok_or_else(|| skip("not a local actor"))?;
    let user = crate::db::users::load_one(conn, id).await.map_err(Error::from)?;
    match user {
        Some(u) if u.host.is_none() => Ok(u.id),
        _ => Err(skip("no such local user")),
    }
}

fn kind(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or_default()
}

/// Applies one verified activity from `signer`.
pub async fn process(fed: &Federation, activity: &Value, signer: &UserRow) -> Result<(), Skip> {
    let object = activity.get("object").cloned().unwrap_or(Value::Null);
    // Activities that may fetch from other servers hold no connection while they do.
    match kind(activity) {
        "Create" => {
            let note_id = id_of(&object).ok_or_else(|| skip("Create without object"))?;
            if host_of(&note_id) != signer.host {
                return Err(skip("a note of another host"));
            }
            if let Some((poll, choice)) = vote_of(fed, &object) {
                let mut conn = fed.state.db.get().await.map_err(Error::from)?;
                let Some(choice) = crate::domain::polls::choice_named(&mut conn, poll, choice).await? else {
                    return Err(skip("a vote for no choice of the poll"));
                };
                return match crate::domain::polls::vote(&mut conn, &signer.id, poll, choice).await {
                    Ok(()) => Ok(()),
                    Err(Error::Refused(r)) => Err(skip(format!("vote refused: {r:?}"))),
                    Err(e) => Err(e.into()),
                };
            }
            return match &object {
                Value::Object(_) => {
                    store_note(fed, &object, signer, MAX_DEPTH).await.map(|_| ()).map_err(Into::into)
                }
                _ => fed.note(&note_id, MAX_DEPTH).await.map(|_| ()).map_err(Into::into),
            };
        }
        "Like" | "EmojiReact" | "EmojiReaction" => {
            let note = fed.note(&id_of(&object).ok_or_else(|| skip("Like without object"))?, 1).await?;
            let reaction = ["_misskey_reaction", "content", "name"]
                .iter()
                .find_map(|k| activity.get(*k).and_then(Value::as_str))
                .unwrap_or("❤");
            if let Some(host) = signer.host.as_deref() {
                super::media::record_emoji(fed, host, activity).await?;
            }
            let mut conn = fed.state.db.get().await.map_err(Error::from)?;
            return match reactions::react(&mut conn, &signer.id, &note.id, reaction).await {
                Ok(()) | Err(Error::Refused(Refusal::AlreadyReacted)) => Ok(()),
                Err(e) => Err(e.into()),
            };
        }
        "Add" | "Remove" => {
            // Pins: only to the signer's own featured collection, only of the signer's notes.
            let target = activity.get("target").and_then(id_of).unwrap_or_default();
            if host_of(&target) != signer.host || !target.trim_end_matches('/').ends_with("featured") {
                return Err(skip("an Add or Remove of no featured collection of the actor's"));
            }
            let uri = id_of(&object).ok_or_else(|| skip("Add without object"))?;
            // Only the actor's own notes can be pinned: another host's is not even fetched.
            if host_of(&uri) != signer.host {
                return Err(skip("a pin of another host's note"));
            }
            let pinning = kind(activity) == "Add";
            let note = if pinning {
                Some(fed.note(&uri, 1).await?)
            } else {
                let mut conn = fed.state.db.get().await.map_err(Error::from)?;
                crate::db::notes::by_uri(&mut conn, &uri).await.map_err(Error::from)?
            };
            let Some(note) = note else { return Ok(()) };
            let mut conn = fed.state.db.get().await.map_err(Error::from)?;
            let base = fed.state.policies.get(&fed.state.db).await.map_err(Error::internal)?;
            let policies = crate::domain::roles::held_by(&mut conn, &base, &signer.id).await?.policies;
            let done = if pinning {
                crate::domain::pins::pin(&mut conn, &signer.id, &note.id, &policies).await
            } else {
                crate::domain::pins::unpin(&mut conn, &signer.id, &note.id).await
            };
            return match done {
                Ok(()) | Err(Error::Refused(Refusal::AlreadyPinned)) => Ok(()),
                Err(Error::Refused(r)) => Err(skip(format!("pin refused: {r:?}"))),
                Err(e) => Err(e.into()),
            };
        }
        "Announce" => {
            let id = activity.get("id").and_then(Value::as_str).ok_or_else(|| skip("Announce without id"))?;
            if host_of(id) != signer.host {
                return Err(skip("an Announce of another host"));
            }
            let mut conn = fed.state.db.get().await.map_err(Error::from)?;
            if crate::db::notes::by_uri(&mut conn, id).await.map_err(Error::from)?.is_some() {
                return Ok(());
            }
            drop(conn);
            let target =
                fed.note(&id_of(&object).ok_or_else(|| skip("Announce without object"))?, MAX_DEPTH).await?;
            let draft = Draft {
                visibility: Some(visibility(activity, signer).0),
                renote_id: Some(target.id),
                ..Default::default()
            };
            return create(fed, signer, id, None, activity.get("published"), draft)
                .await
                .map(|_| ())
                .map_err(Skip::from);
        }
        _ => {}
    }
    let mut conn = fed.state.db.get().await.map_err(Error::from)?;
    let conn = &mut *conn;
    match kind(activity) {
        "Follow" => {
            let followee = local_user(fed, conn, &id_of(&object).unwrap_or_default()).await?;
            let request = activity.get("id").and_then(Value::as_str);
            // A refused follow (blocks) is answered Reject by the domain.
            follows::follow(conn, &signer.id, &followee, None, request).await.map(|_| ()).map_err(Skip::from)
        }
        "Accept" | "Reject" => {
            // Of a Follow a local user sent: its actor is the local follower.
            let follower_uri = object.get("actor").and_then(id_of).or_else(|| {
                // Only an id: ours are `{base}/follows/{follower}/{followee}/…`.
                id_of(&object).and_then(|id| {
                    let rest = id.strip_prefix(&format!("{}/follows/", fed.base))?;
                    rest.split('/').next().map(|f| format!("{}/users/{f}", fed.base))
                })
            });
            let follower =
                local_user(fed, conn, &follower_uri.ok_or_else(|| skip("not about a follow"))?).await?;
            if kind(activity) == "Accept" {
                follows::accepted_by_remote(conn, &follower, &signer.id).await?;
            } else {
                follows::ended_by_remote(conn, &follower, &signer.id).await?;
            }
            Ok(())
        }
        "Undo" => undo(fed, conn, &object, signer).await,
        "Delete" => {
            let id = id_of(&object).ok_or_else(|| skip("Delete without object"))?;
            if Some(&id) == signer.uri.as_ref() {
                return Ok(crate::domain::remote::delete_actor(conn, &signer.id).await?);
            }
            match crate::db::notes::by_uri(conn, &id).await.map_err(Error::from)? {
                Some(n) if n.user_id == signer.id => Ok(crate::domain::notes::delete(conn, &n).await?),
                Some(_) => Err(skip("not the author's note")),
                None => Ok(()),
            }
        }
        "Update" => match kind(&object) {
            "Person" | "Service" | "Group" | "Organization" | "Application" => {
                let host = signer.host.clone().unwrap_or_default();
                let actor = super::resolve::parse_actor(&object, &host)?;
                if Some(&actor.uri) != signer.uri.as_ref() {
                    return Err(skip("an update of another actor"));
                }
                crate::domain::remote::upsert(conn, actor).await?;
                Ok(())
            }
            "Note" | "Question" | "Article" | "Page" => {
                let id = id_of(&object).ok_or_else(|| skip("Update without id"))?;
                let note = crate::db::notes::by_uri(conn, &id).await.map_err(Error::from)?;
                match note {
                    Some(n) if n.user_id == signer.id => {
                        let (text, cw) = note_text(&object);
                        let votes = poll_of(&object).map(|(_, _, _, votes)| votes);
                        Ok(crate::domain::notes::edit_remote(conn, &n, text, cw, votes).await?)
                    }
                    Some(_) => Err(skip("not the author's note")),
                    None => Ok(()),
                }
            }
            other => Err(skip(format!("Update of {other} is not handled"))),
        },
        "Block" => {
            let blockee = local_user(fed, conn, &id_of(&object).unwrap_or_default()).await?;
            follows::block(conn, &signer.id, &blockee).await?;
            Ok(())
        }
        "Flag" => {
            // A report from another server's moderators about users here.
            let comment: String = activity
                .get("content")
                .and_then(Value::as_str)
                .map(|c| c.chars().take(crate::domain::moderation::MAX_COMMENT).collect())
                .filter(|c: &String| !c.trim().is_empty())
                .unwrap_or_else(|| "(no comment)".into());
            let mut reported = 0;
            for uri in ids(Some(&object)).iter().take(20) {
                let Ok(target) = local_user(fed, conn, uri).await else { continue };
                // A refused target (an administrator) does not stop the others.
                match crate::domain::moderation::report(conn, &signer.id, &target, &comment).await {
                    Ok(()) => reported += 1,
                    Err(Error::Refused(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if reported == 0 {
                return Err(skip("a Flag of no local user"));
            }
            Ok(())
        }
        "Move" => {
            tracing::info!(actor = ?signer.uri, target = ?activity.get("target").and_then(id_of), "a remote account moved");
            Ok(())
        }
        other => Err(skip(format!("{other} is not handled"))),
    }
}

async fn undo(
    fed: &Federation,
    conn: &mut diesel_async::AsyncPgConnection,
    object: &Value,
    signer: &UserRow,
) -> Result<(), Skip> {
    // The undone activity, embedded (ids alone are not enough to tell what it was).
    let inner = object.get("object").and_then(id_of);
    match kind(object) {
        "Follow" => {
            let followee = local_user(fed, conn, &inner.unwrap_or_default()).await?;
            follows::ended_by_remote(conn, &signer.id, &followee).await?;
            Ok(())
        }
        "Like" | "EmojiReact" | "EmojiReaction" => {
            let Some(note) = find_note(fed, conn, &inner.unwrap_or_default()).await? else { return Ok(()) };
            match reactions::unreact(conn, &signer.id, &note.id).await {
                Ok(()) | Err(Error::Refused(Refusal::NotReacted | Refusal::NoSuchNoteToUnreact)) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        "Announce" => {
            let id = id_of(object).unwrap_or_default();
            match crate::db::notes::by_uri(conn, &id).await.map_err(Error::from)? {
                Some(n) if n.user_id == signer.id => Ok(crate::domain::notes::delete(conn, &n).await?),
                _ => Ok(()),
            }
        }
        "Block" => {
            let blockee = local_user(fed, conn, &inner.unwrap_or_default()).await?;
            follows::unblock(conn, &signer.id, &blockee).await?;
            Ok(())
        }
        "Accept" => {
            // A follow of a local user that the remote side no longer accepts.
            let follower =
                object.get("object").and_then(|f| f.get("actor")).and_then(id_of).unwrap_or_default();
            let follower = local_user(fed, conn, &follower).await?;
            follows::ended_by_remote(conn, &follower, &signer.id).await?;
            Ok(())
        }
        other => Err(skip(format!("Undo of {other} is not handled"))),
    }
}

/// A stored note by URI (local or remote), without fetching.
async fn find_note(
    fed: &Federation,
    conn: &mut diesel_async::AsyncPgConnection,
    uri: &str,
) -> Result<Option<NoteRow>, Skip> {
    if let Some(id) = uri.strip_prefix(&format!("{}/notes/", fed.base)) {
        return Ok(crate::db::notes::load_one(conn, id).await.map_err(Error::from)?);
    }
    Ok(crate::db::notes::by_uri(conn, uri).await.map_err(Error::from)?)
}

fn ids(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(id_of).collect(),
        Some(other) => id_of(other).into_iter().collect(),
        None => vec![],
    }
}

/// The visibility an object's addressing means, and everyone it names.
fn visibility(doc: &Value, author: &UserRow) -> (String, Vec<String>) {
    let (to, cc) = (ids(doc.get("to")), ids(doc.get("cc")));
    let public = |v: &Vec<String>| v.iter().any(|a| PUBLIC.contains(&a.as_str()));
    let followers = author.uri.as_ref().map(|u| format!("{u}/followers"));
    let to_followers =
        to.iter().chain(&cc).any(|a| Some(a) == followers.as_ref() || a.ends_with("/followers"));
    let named: Vec<String> =
        to.iter().chain(&cc).filter(|a| !PUBLIC.contains(&a.as_str())).cloned().collect();
    let v = if public(&to) {
        "public"
    } else if public(&cc) {
        "home"
    } else if to_followers {
        "followers"
    } else {
        "specified"
    };
    (v.to_string(), named)
}

/// A note's text as MFM and its content warning.
fn note_text(doc: &Value) -> (Option<String>, Option<String>) {
    let tags: Vec<crate::mfm::ApTag> = Vec::new();
    let source = doc
        .get("source")
        .filter(|s| s.get("mediaType").and_then(Value::as_str) == Some("text/x.misskeymarkdown"))
        .and_then(|s| s.get("content"))
        .and_then(Value::as_str);
    let text = doc
        .get("_misskey_content")
        .and_then(Value::as_str)
        .or(source)
        .map(str::to_string)
        .or_else(|| doc.get("content").and_then(Value::as_str).map(|h| crate::mfm::from_html(h, &tags)));
    let cw = doc.get("summary").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    (text, cw)
}

/// A vote in a local poll: a Note with a `name` (the choice), replying to the poll, without
/// content. The local note's id and the choice.
fn vote_of<'a>(fed: &Federation, doc: &'a Value) -> Option<(&'a str, &'a str)> {
    let name = doc.get("name").and_then(Value::as_str)?;
    let poll = doc.get("inReplyTo").and_then(Value::as_str)?;
    let empty = doc.get("content").and_then(Value::as_str).is_none_or(|c| c.trim().is_empty());
    let local = poll.strip_prefix(fed.base.as_str())?.strip_prefix("/notes/")?;
    (kind(doc) == "Note" && empty && !local.contains('/')).then_some((local, name))
}

/// A Question's choices, multiple choice, end (ms since the epoch) and vote counts.
type Poll = (Vec<String>, bool, Option<i64>, Vec<i32>);

fn poll_of(doc: &Value) -> Option<Poll> {
    let (options, multiple) = match (doc.get("oneOf"), doc.get("anyOf")) {
        (Some(Value::Array(o)), _) => (o, false),
        (_, Some(Value::Array(o))) => (o, true),
        _ => return None,
    };
    let choices =
        options.iter().filter_map(|o| o.get("name").and_then(Value::as_str).map(str::to_string)).collect();
    let votes = options
        .iter()
        .map(|o| {
            o.pointer("/replies/totalItems").and_then(Value::as_i64).unwrap_or(0).clamp(0, i32::MAX as i64)
                as i32
        })
        .collect();
    let end = doc
        .get("endTime")
        .or_else(|| doc.get("closed"))
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis());
    Some((choices, multiple, end, votes))
}

async fn create(
    fed: &Federation,
    author: &UserRow,
    uri: &str,
    url: Option<String>,
    published: Option<&Value>,
    draft: Draft,
) -> Result<NoteRow, Error> {
    let host = author.host.clone().unwrap_or_default();
    let published = published
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let origin = Origin::Remote { uri: uri.to_string(), url, host, published };
    let local_host = fed.state.config.host();
    match crate::domain::notes::create(
        &fed.state.db,
        &fed.state.notes,
        &local_host,
        origin,
        &author.id,
        draft,
    )
    .await
    {
        Ok(stored) => Ok(stored.note),
        Err(e) => {
            // Stored meanwhile by another worker: that one.
            let mut conn = fed.state.db.get().await?;
            match crate::db::notes::by_uri(&mut conn, uri).await? {
                Some(n) => Ok(n),
                None => Err(e),
            }
        }
    }
}

/// Stores a remote note document by `author` (already checked to be its signer or fetched from
/// its host), resolving what it replies to and quotes up to `depth` notes away.
pub async fn store_note(
    fed: &Federation,
    doc: &Value,
    author: &UserRow,
    depth: u8,
) -> Result<NoteRow, ResolveError> {
    let bad = |why: &str| ResolveError::Invalid(why.to_string());
    if !matches!(
        kind(doc),
        "Note" | "Question" | "Article" | "Page" | "Image" | "Video" | "Audio" | "Document" | "Event"
    ) {
        return Err(bad("not a note"));
    }
    let uri = id_of(doc).ok_or_else(|| bad("a note without id"))?;
    if host_of(&uri) != author.host || doc.get("attributedTo").and_then(id_of) != author.uri {
        return Err(bad("the note is not its author's"));
    }
    let mut conn = fed.state.db.get().await.map_err(Error::from)?;
    if let Some(n) = crate::db::notes::by_uri(&mut conn, &uri).await.map_err(Error::from)? {
        return Ok(n);
    }
    drop(conn);
    let (text, cw) = note_text(doc);
    let (visibility, named) = visibility(doc, author);
    // Addressees and mentions that are users here: local ones, or remote ones already known.
    let mut mentioned: Vec<String> = doc
        .get("tag")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter().filter(|x| kind(x) == "Mention").filter_map(|x| x.get("href").and_then(id_of)).collect()
        })
        .unwrap_or_default();
    mentioned.extend(named);
    let mut users = Vec::new();
    let mut conn = fed.state.db.get().await.map_err(Error::from)?;
    for uri in mentioned.iter().take(100) {
        let found = match uri.strip_prefix(&format!("{}/users/", fed.base)) {
            Some(id) => crate::db::users::load_one(&mut conn, id).await.map_err(Error::from)?.map(|u| u.id),
            None => crate::domain::remote::by_uri(&mut conn, uri).await?.map(|u| u.id),
        };
        if let Some(id) = found {
            if !users.contains(&id) {
                users.push(id);
            }
        }
    }
    drop(conn);
    let reply_id = match doc.get("inReplyTo").and_then(id_of) {
        Some(r) => match fed.note(&r, depth).await {
            Ok(n) => Some(n.id),
            Err(e) if e.transient() => return Err(e),
            Err(_) => None,
        },
        None => None,
    };
    let quote =
        ["_misskey_quote", "quoteUrl", "quoteUri"].iter().find_map(|k| doc.get(*k).and_then(Value::as_str));
    let renote_id = match quote {
        Some(q) => match fed.note(q, depth).await {
            Ok(n) => Some(n.id),
            Err(e) if e.transient() => return Err(e),
            Err(_) => None,
        },
        None => None,
    };
    let poll = poll_of(doc).map(|(choices, multiple, end, _)| DraftPoll {
        choices,
        multiple,
        ends: end.map(PollEnd::At).unwrap_or(PollEnd::Never),
    });
    let specified = visibility == "specified";
    let file_ids = super::media::note_files(fed, author, doc).await?;
    if let Some(host) = author.host.as_deref() {
        super::media::record_emoji(fed, host, doc).await?;
    }
    let draft = Draft {
        text,
        cw,
        file_ids,
        visibility: Some(visibility),
        visible_user_ids: if specified { users.clone() } else { vec![] },
        reply_id,
        renote_id,
        poll,
        mentions: users,
        ..Default::default()
    };
    let url = doc.get("url").and_then(id_of);
    Ok(create(fed, author, &uri, url, doc.get("published"), draft).await?)
}
