//! Delivery: a local action (`domain::federation::Action`) becomes one activity, rendered
//! once, and one `deliver` job per inbox concerned (remote followers by their shared inboxes,
//! named users by theirs), each signed by the acting user and retried with backoff; a host
//! that keeps failing is left alone for a while by its circuit breaker (its queued deliveries
//! wait instead of costing attempts).

use super::render::{self, PUBLIC};
use super::signature::Signer;
use super::Federation;
use crate::domain::federation::{actor_uri, authority_of, note_uri, Action};
use crate::domain::jobs::Job;
use crate::domain::Error;
use crate::jobs::Failure;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use std::sync::Arc;

impl Federation {
    /// The signer of a local user's activities.
    async fn signer(&self, user: &str) -> Result<Arc<Signer>, Failure> {
        if let Some(s) = self.signers.lock().unwrap_or_else(|e| e.into_inner()).get(user) {
            return Ok(s.clone());
        }
        use crate::db::schema::user_keypairs;
        let mut conn = self.state.db.get().await.map_err(|e| Failure::Retry(e.to_string()))?;
        let pem: Option<String> = user_keypairs::table
            .find(user)
            .select(user_keypairs::private_key)
            .first(&mut conn)
            .await
            .optional()
            .map_err(Failure::from)?;
        let pem = pem.ok_or_else(|| Failure::Permanent("the signer has no key".into()))?;
        let signer = Signer::new(&pem, &format!("{}/users/{user}#main-key", self.base))
            .map_err(|_| Failure::Permanent("the signer's key is unusable".into()))?;
        let signer = Arc::new(signer);
        let mut signers = self.signers.lock().unwrap_or_else(|e| e.into_inner());
        if signers.len() > 10_000 {
            signers.clear();
        }
        signers.insert(user.to_string(), signer.clone());
        Ok(signer)
    }
}

/// Inboxes of `user`'s remote followers, one per shared inbox.
async fn follower_inboxes(conn: &mut AsyncPgConnection, user: &str) -> Result<Vec<String>, Error> {
    use crate::db::schema::{following, users};
    let rows: Vec<(Option<String>, Option<String>)> = following::table
        .inner_join(users::table.on(users::id.eq(following::follower_id)))
        .filter(following::followee_id.eq(user).and(following::follower_host.is_not_null()))
        .select((users::shared_inbox, users::inbox))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(shared, inbox)| shared.or(inbox)).collect())
}

fn follow_id(base: &str, follower: &str, followee: &str) -> String {
    format!("{base}/follows/{follower}/{followee}")
}

/// Renders `action` and enqueues its deliveries. Gone rows (a note deleted before its Create
/// was sent) mean there is nothing to send.
pub async fn fan_out(fed: &Federation, action: &Action) -> Result<(), Failure> {
    let base = fed.base.as_str();
    let mut conn = fed.state.db.get().await.map_err(|e| Failure::Retry(e.to_string()))?;
    let conn = &mut *conn;
    let activity_id = format!("{base}/activities/{}", action.id());
    let (signer, activity, inboxes): (String, Value, Vec<String>) = match action {
        Action::NoteCreated { note_id, .. } => {
            let rendered = render_note(conn, note_id, |n, p| render::activity(base, n, p)).await?;
            let Some((note, activity)) = rendered else { return Ok(()) };
            (note.user_id.clone(), activity, note_inboxes(conn, &note).await?)
        }
        Action::PollUpdated { note_id, .. } => {
            let rendered = render_note(conn, note_id, |n, p| {
                let question = render::note(base, n, p);
                // Each update is an activity of its own (the action's id is the poll's).
                json!({
                    "id": format!("{activity_id}/{}", crate::id::gen()), "type": "Update",
                    "actor": actor_uri(base, p.author), "to": question["to"], "cc": question["cc"],
                    "object": question,
                })
            })
            .await?;
            let Some((note, activity)) = rendered else { return Ok(()) };
            (note.user_id.clone(), activity, note_inboxes(conn, &note).await?)
        }
        Action::AccountDeleted { user, audience, .. } => {
            let Some(u) = load_user(conn, user).await? else { return Ok(()) };
            let actor = actor_uri(base, &u);
            let activity = json!({
                "id": activity_id, "type": "Delete", "actor": actor, "to": [PUBLIC], "object": actor,
            });
            (user.clone(), activity, inbox_list(conn, audience).await?)
        }
        Action::PinChanged { user, note_id, pinned, .. } => {
            let Some(u) = load_user(conn, user).await? else { return Ok(()) };
            let actor = actor_uri(base, &u);
            let activity = json!({
                "id": activity_id, "type": if *pinned { "Add" } else { "Remove" }, "actor": actor,
                "target": format!("{actor}/collections/featured"), "object": format!("{base}/notes/{note_id}"),
            });
            (user.clone(), activity, follower_inboxes(conn, user).await?)
        }
        Action::Flag { target, comment, .. } => {
            let Some(t) = load_user(conn, target).await? else { return Ok(()) };
            let (instance, _) =
                crate::domain::users::instance_actor_key(conn).await.map_err(Failure::from)?;
            let activity = json!({
                "id": activity_id, "type": "Flag", "actor": format!("{base}/users/{instance}"),
                "content": comment, "object": [actor_uri(base, &t)],
            });
            (instance, activity, inbox_list(conn, std::slice::from_ref(target)).await?)
        }
        Action::Vote { id, user, note_id, choice } => {
            let Some(note) = crate::db::notes::load_one(conn, note_id).await.map_err(Failure::from)? else {
                return Ok(());
            };
            let (Some(voter), Some(author)) =
                (load_user(conn, user).await?, load_user(conn, &note.user_id).await?)
            else {
                return Ok(());
            };
            use crate::db::schema::polls;
            let choices: Option<Vec<String>> = polls::table
                .find(note_id)
                .select(polls::choices)
                .first(conn)
                .await
                .optional()
                .map_err(Error::from)?;
            let Some(name) = choices.and_then(|c| c.get(usize::try_from(*choice).ok()?).cloned()) else {
                return Ok(());
            };
            let (actor, to) = (actor_uri(base, &voter), actor_uri(base, &author));
            // A vote is a note that names the choice and replies to the poll.
            let vote_id = format!("{actor}#votes/{id}");
            let activity = json!({
                "id": format!("{vote_id}/activity"), "type": "Create", "actor": actor, "to": [to],
                "object": {
                    "id": vote_id, "type": "Note", "attributedTo": actor, "to": [to],
                    "name": name, "inReplyTo": note_uri(base, &note),
                },
            });
            (user.clone(), activity, inbox_list(conn, std::slice::from_ref(&note.user_id)).await?)
        }
        Action::NoteDeleted { note_id, author, was_renote_of, audience, .. } => {
            let Some(user) = load_user(conn, author).await? else { return Ok(()) };
            let actor = actor_uri(base, &user);
            let uri = format!("{base}/notes/{note_id}");
            let activity = match was_renote_of {
                Some(_) => json!({
                    "id": activity_id, "type": "Undo", "actor": actor, "to": [PUBLIC],
                    "object": { "id": format!("{uri}/activity"), "type": "Announce", "actor": actor },
                }),
                None => json!({
                    "id": activity_id, "type": "Delete", "actor": actor, "to": [PUBLIC],
                    "object": { "id": uri, "type": "Tombstone" },
                }),
            };
            let mut inboxes = inbox_list(conn, audience).await?;
            inboxes.extend(follower_inboxes(conn, author).await?);
            (author.clone(), activity, inboxes)
        }
        Action::Follow { follower, followee, .. } | Action::Unfollow { follower, followee, .. } => {
            let (Some(f), Some(e)) = (load_user(conn, follower).await?, load_user(conn, followee).await?)
            else {
                return Ok(());
            };
            let follow = json!({
                "id": follow_id(base, follower, followee), "type": "Follow",
                "actor": actor_uri(base, &f), "object": actor_uri(base, &e),
            });
            let activity = match action {
                Action::Follow { .. } => follow,
                _ => {
                    json!({ "id": activity_id, "type": "Undo", "actor": actor_uri(base, &f), "object": follow })
                }
            };
            (follower.clone(), activity, inbox_list(conn, std::slice::from_ref(followee)).await?)
        }
        Action::Accept { followee, follower, request_uri, .. }
        | Action::Reject { followee, follower, request_uri, .. } => {
            let (Some(f), Some(e)) = (load_user(conn, follower).await?, load_user(conn, followee).await?)
            else {
                return Ok(());
            };
            let kind = if matches!(action, Action::Accept { .. }) { "Accept" } else { "Reject" };
            let follow_id = request_uri.clone().unwrap_or_else(|| follow_id(base, follower, followee));
            let activity = json!({
                "id": activity_id, "type": kind, "actor": actor_uri(base, &e),
                "object": { "id": follow_id, "type": "Follow", "actor": actor_uri(base, &f), "object": actor_uri(base, &e) },
            });
            (followee.clone(), activity, inbox_list(conn, std::slice::from_ref(follower)).await?)
        }
        Action::React { id, user, note_id, reaction }
        | Action::Unreact { like_id: id, user, note_id, reaction, .. } => {
            let Some(note) = crate::db::notes::load_one(conn, note_id).await.map_err(Failure::from)? else {
                return Ok(());
            };
            let Some(u) = load_user(conn, user).await? else { return Ok(()) };
            // A local custom emoji goes as `:name:` with its Emoji tag.
            let local_emoji = reaction.strip_prefix(':').and_then(|r| r.strip_suffix("@.:"));
            let content = local_emoji.map_or_else(|| reaction.clone(), |n| format!(":{n}:"));
            let mut like = json!({
                "id": format!("{base}/likes/{id}"), "type": "Like", "actor": actor_uri(base, &u),
                "object": note_uri(base, &note), "content": content, "_misskey_reaction": content,
            });
            if let Some(name) = local_emoji {
                let local = crate::domain::emoji::local(conn).await?;
                if let Some(e) = local.get(name) {
                    like["tag"] = json!([crate::ap::render::emoji(base, e)]);
                }
            }
            let activity = match action {
                Action::React { .. } => like,
                _ => {
                    json!({ "id": activity_id, "type": "Undo", "actor": actor_uri(base, &u), "object": like })
                }
            };
            (user.clone(), activity, inbox_list(conn, std::slice::from_ref(&note.user_id)).await?)
        }
        Action::Block { blocker, blockee, .. } | Action::Unblock { blocker, blockee, .. } => {
            let (Some(b), Some(e)) = (load_user(conn, blocker).await?, load_user(conn, blockee).await?)
            else {
                return Ok(());
            };
            let block = json!({
                "id": format!("{base}/blocks/{blocker}/{blockee}"), "type": "Block",
                "actor": actor_uri(base, &b), "object": actor_uri(base, &e),
            });
            let activity = match action {
                Action::Block { .. } => block,
                _ => {
                    json!({ "id": activity_id, "type": "Undo", "actor": actor_uri(base, &b), "object": block })
                }
            };
            (blocker.clone(), activity, inbox_list(conn, std::slice::from_ref(blockee)).await?)
        }
        Action::ProfileUpdated { user, .. } => {
            let Some(person) =
                super::objects::person_document(conn, base, user).await.map_err(Failure::from)?
            else {
                return Ok(());
            };
            let actor = person["id"].clone();
            let activity = json!({ "id": activity_id, "type": "Update", "actor": actor, "to": [PUBLIC], "object": person });
            (user.clone(), activity, follower_inboxes(conn, user).await?)
        }
    };
    let activity = render::with_context(strip_context(activity));
    let mut seen = std::collections::HashSet::new();
    let inboxes: Vec<(String, String)> = inboxes
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .filter_map(|i| authority_of(&i).map(|h| (i, h)))
        .collect();
    let hosts: Vec<String> = inboxes.iter().map(|(_, h)| h.clone()).collect();
    let policy = crate::domain::federation::for_all(conn, &hosts).await?;
    let inboxes: Vec<String> =
        inboxes.into_iter().filter(|(_, h)| policy.allows(h)).map(|(i, _)| i).collect();
    // Enqueued in bounded batches, so a note to many servers costs bounded memory.
    let now = chrono::Utc::now();
    for chunk in inboxes.chunks(500) {
        let jobs: Vec<(Job, _)> = chunk
            .iter()
            .map(|inbox| {
                (
                    Job::Deliver { inbox: inbox.clone(), activity: activity.clone(), signer: signer.clone() },
                    now,
                )
            })
            .collect();
        crate::domain::jobs::enqueue(conn, &jobs).await.map_err(Failure::from)?;
        crate::db::jobs::wake();
    }
    Ok(())
}

async fn load_user(
    conn: &mut AsyncPgConnection,
    id: &str,
) -> Result<Option<crate::db::users::UserRow>, Error> {
    Ok(crate::db::users::load_one(conn, id).await?)
}

/// A local note and what `render` makes of it with its parts (`None`: the note or its author
/// is gone, so there is nothing to send).
async fn render_note(
    conn: &mut AsyncPgConnection,
    note_id: &str,
    render: impl FnOnce(&crate::db::notes::NoteRow, &render::NoteParts) -> Value,
) -> Result<Option<(crate::db::notes::NoteRow, Value)>, Failure> {
    let Some(note) = crate::db::notes::load_one(conn, note_id).await.map_err(Failure::from)? else {
        return Ok(None);
    };
    let batch =
        super::objects::NoteBatch::load(conn, std::slice::from_ref(&note)).await.map_err(Failure::from)?;
    let Some(parts) = batch.parts(&note) else { return Ok(None) };
    let rendered = render(&note, &parts);
    Ok(Some((note, rendered)))
}

/// The inboxes a local note goes to: named users' and, unless it is for named users only, the
/// author's followers'.
async fn note_inboxes(
    conn: &mut AsyncPgConnection,
    note: &crate::db::notes::NoteRow,
) -> Result<Vec<String>, Error> {
    let mut named: Vec<String> = note.mentions.clone();
    named.extend(note.visible_user_ids.iter().cloned());
    named.extend(note.reply_user_id.iter().chain(note.renote_user_id.iter()).cloned());
    let mut inboxes = inbox_list(conn, &named).await?;
    if note.visibility != "specified" {
        inboxes.extend(follower_inboxes(conn, &note.user_id).await?);
    }
    Ok(inboxes)
}

/// Nested documents lose their own `@context` (the activity carries one).
fn strip_context(mut v: Value) -> Value {
    if let Some(o) = v.get_mut("object").and_then(Value::as_object_mut) {
        o.remove("@context");
    }
    v
}

/// The inboxes of the remote users among `ids` (their shared inbox when they have one).
async fn inbox_list(conn: &mut AsyncPgConnection, ids: &[String]) -> Result<Vec<String>, Error> {
    use crate::db::schema::users;
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<(Option<String>, Option<String>)> = users::table
        .filter(users::id.eq_any(ids).and(users::host.is_not_null()))
        .select((users::shared_inbox, users::inbox))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(shared, inbox)| shared.or(inbox)).collect())
}

/// Sends one activity to one inbox.
pub async fn deliver(fed: &Federation, inbox: &str, activity: &Value, signer: &str) -> Result<(), Failure> {
    let Some(host) = authority_of(inbox) else { return Err(Failure::Permanent("not an inbox URL".into())) };
    let mut conn = fed.state.db.get().await.map_err(|e| Failure::Retry(e.to_string()))?;
    // A server blocked since the delivery was queued: it is dropped (done, not dead).
    if crate::domain::federation::refuses(&mut conn, &host).await? {
        tracing::debug!(host, "delivery to a blocked server dropped");
        return Ok(());
    }
    if let Some(wait) = crate::domain::federation::host_resting(&mut conn, &host).await? {
        return Err(Failure::RetryAfter(wait, format!("{host} is resting after repeated failures")));
    }
    drop(conn);
    let signer = fed.signer(signer).await?;
    let body = serde_json::to_vec(activity).map_err(|e| Failure::Permanent(e.to_string()))?;
    let result = fed.client.post(inbox, body, &signer).await;
    let db = &fed.state.db;
    match result {
        // Sent: whatever happens to the bookkeeping now, it must not be sent again.
        Ok(_) => {
            let answered = match db.get().await {
                Ok(mut conn) => crate::domain::federation::host_answered(&mut conn, &host).await,
                Err(e) => Err(e.into()),
            };
            if let Err(e) = answered {
                tracing::debug!(host, error = %e, "recording a delivery's success failed");
            }
            Ok(())
        }
        Err(e) if e.transient() => {
            let rest = std::time::Duration::from_secs(60)
                .mul_f64(fed.state.config.jobs.backoff_scale.clamp(0.0001, 1000.0));
            let mut conn = db.get().await.map_err(|e| Failure::Retry(e.to_string()))?;
            crate::domain::federation::host_failed(&mut conn, &host, rest).await?;
            Err(Failure::Retry(e.to_string()))
        }
        Err(e) => Err(Failure::Permanent(e.to_string())),
    }
}
