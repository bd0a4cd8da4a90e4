//! Hears the instance's events (`bus::events`, through Redis, from every process) and turns
//! them into frames for this process's connections. Events are prepared concurrently (reading
//! a note, packing a notification) and delivered in the order they were published; a change of
//! a viewer's relations is applied between the events before and after it.

use super::hub::{ConnId, Hub, Key, Kind, Outbox};
use super::view::NoteView;
use crate::api::pack::notifications::{self as pack_n, NotificationRow};
use crate::api::pack::users as pack_users;
use crate::bus::pubsub::PubSub;
use crate::domain::events::{DriveChange, EmojiChange, Event, NoteChange, Reach};
use crate::domain::timelines::{self, Viewer};
use crate::state::AppState;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Events prepared at once; delivery keeps their order.
const AHEAD: usize = 16;

type Frames = Vec<(Outbox, String)>;

/// A channel event frame.
pub fn channel_frame(channel: &str, event: &str, body: Option<&str>) -> String {
    let id = serde_json::to_string(channel).unwrap_or_else(|_| "\"\"".into());
    match body {
        Some(b) => format!(r#"{{"type":"channel","body":{{"id":{id},"type":"{event}","body":{b}}}}}"#),
        None => format!(r#"{{"type":"channel","body":{{"id":{id},"type":"{event}"}}}}"#),
    }
}

/// Subscribes to the event channel (waiting for Redis as long as it takes; the subscription
/// comes back by itself after a Redis restart) and delivers events until the process ends.
pub fn start(hub: Arc<Hub>, state: Arc<AppState>) {
    tokio::spawn(async move {
        let ps = loop {
            match subscribe(&state).await {
                Ok(ps) => break ps,
                Err(e) => {
                    tracing::warn!(error = %e, "streaming: cannot subscribe to events yet; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        };
        let mut rx = ps.receiver();
        let mut pending = FuturesOrdered::new();
        loop {
            tokio::select! {
                biased;
                Some(frames) = pending.next(), if !pending.is_empty() => deliver(frames),
                m = rx.recv() => {
                    let m = match m {
                        Ok(m) => m,
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            metrics::counter!("streaming_events_lagged_total").increment(n);
                            tracing::warn!(missed = n, "streaming: events arrived faster than they were delivered");
                            continue;
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    if m.channel != crate::bus::events::CHANNEL {
                        continue;
                    }
                    let Ok(ev) = serde_json::from_str::<Event>(&m.payload) else { continue };
                    // A change of whom a viewer follows, mutes or lists waits for the events
                    // before it and holds back those after it: they are judged by the new state.
                    let barrier = matches!(ev, Event::Relations { .. } | Event::ListChanged { .. });
                    if barrier || pending.len() >= AHEAD {
                        while let Some(frames) = pending.next().await {
                            deliver(frames);
                            if !barrier && pending.len() < AHEAD {
                                break;
                            }
                        }
                    }
                    let (hub, state) = (hub.clone(), state.clone());
                    let job = async move {
                        prepare(&hub, &state, ev).await.unwrap_or_else(|e| {
                            tracing::warn!(error = %e, "streaming: event not delivered");
                            vec![]
                        })
                    };
                    if barrier {
                        deliver(job.await);
                    } else {
                        pending.push_back(job);
                    }
                }
            }
        }
        drop(ps);
    });
}

fn deliver(frames: Frames) {
    for (out, text) in frames {
        out.send(text);
    }
}

async fn subscribe(state: &AppState) -> anyhow::Result<PubSub> {
    let mut ps = PubSub::connect(&state.config.redis.url, &state.redis.prefix).await?;
    ps.subscribe(crate::bus::events::CHANNEL).await?;
    Ok(ps)
}

/// The signed-in connections of `user` with a main channel: where to send, who sees, which
/// channel ids.
fn main_channels(hub: &Hub, user: &str) -> Vec<(Outbox, Arc<Viewer>, Vec<String>)> {
    own_channels(hub, user, |k| matches!(k, Kind::Main))
}

/// The signed-in connections of `user` with a channel of their own that `want` picks.
fn own_channels(hub: &Hub, user: &str, want: fn(&Kind) -> bool) -> Vec<(Outbox, Arc<Viewer>, Vec<String>)> {
    let g = hub.lock();
    let ids = g.under(&[Key::Main(user.to_string())]);
    ids.iter()
        .filter_map(|id| g.conns.get(id))
        .map(|c| {
            let chans = c.channels.iter().filter(|ch| want(&ch.kind)).map(|ch| ch.id.clone());
            (c.out.clone(), c.viewer.clone(), chans.collect())
        })
        .collect()
}

/// Frames of one main-channel event for each of `user`'s connections (`body` as JSON).
fn to_main(hub: &Hub, user: &str, event: &str, body: Option<&str>) -> Frames {
    let mut out = Vec::new();
    for (o, _, chans) in main_channels(hub, user) {
        for ch in chans {
            out.push((o.clone(), channel_frame(&ch, event, body)));
        }
    }
    out
}

/// A change of the instance's emoji, to every connection (`emojiAdded`, `emojiUpdated`,
/// `emojiDeleted`, outside any channel).
async fn emoji_changed(
    hub: &Hub,
    state: &AppState,
    change: EmojiChange,
    ids: &[String],
    names: Vec<String>,
) -> anyhow::Result<Frames> {
    use crate::db::schema::emojis;
    use crate::domain::emoji::EmojiRow;
    crate::domain::emoji::forget_local();
    let outs: Vec<Outbox> = hub.lock().conns.values().map(|c| c.out.clone()).collect();
    if outs.is_empty() {
        return Ok(vec![]);
    }
    let packed: Vec<serde_json::Value> = match change {
        EmojiChange::Deleted => {
            ids.iter().zip(&names).map(|(id, name)| crate::api::pack::emoji::deleted(id, name)).collect()
        }
        _ => {
            let mut conn = state.db.get().await?;
            let rows: Vec<EmojiRow> = emojis::table
                .filter(emojis::id.eq_any(ids))
                .select(EmojiRow::as_select())
                .load(&mut conn)
                .await?;
            rows.iter().map(crate::api::pack::emoji::detailed).collect()
        }
    };
    let (event, body) = match change {
        EmojiChange::Added => match <[serde_json::Value]>::first(&packed) {
            Some(e) => ("emojiAdded", json!({ "emoji": e })),
            None => return Ok(vec![]),
        },
        EmojiChange::Updated => ("emojiUpdated", json!({ "emojis": packed })),
        EmojiChange::Deleted => ("emojiDeleted", json!({ "emojis": packed })),
    };
    let frame = json!({ "type": event, "body": body }).to_string();
    Ok(outs.into_iter().map(|o| (o, frame.clone())).collect())
}

/// A new announcement: everyone's to every connection (outside any channel), a user's to
/// their main channels.
async fn announced(hub: &Hub, state: &AppState, id: &str, user: Option<&str>) -> anyhow::Result<Frames> {
    use crate::db::schema::announcements;
    use crate::domain::announcements::AnnouncementRow;
    let outs: Vec<Outbox> = match user {
        None => hub.lock().conns.values().map(|c| c.out.clone()).collect(),
        Some(u) => main_channels(hub, u).into_iter().map(|(o, _, _)| o).collect(),
    };
    if outs.is_empty() {
        return Ok(vec![]);
    }
    let mut conn = state.db.get().await?;
    let Some(a): Option<AnnouncementRow> = announcements::table
        .find(id)
        .select(AnnouncementRow::as_select())
        .first(&mut conn)
        .await
        .optional()?
    else {
        return Ok(vec![]);
    };
    let body = json!({ "announcement": crate::api::pack::announcements::announcement(&a, user, None) });
    match user {
        None => {
            let frame = json!({ "type": "announcementCreated", "body": body }).to_string();
            Ok(outs.into_iter().map(|o| (o, frame.clone())).collect())
        }
        Some(u) => Ok(to_main(hub, u, "announcementCreated", Some(&body.to_string()))),
    }
}

/// A drive change, to the owner's `drive` channels (and `main` for new files).
async fn drive(hub: &Hub, state: &AppState, user: &str, change: DriveChange) -> anyhow::Result<Frames> {
    use crate::api::pack::drive as pack_d;
    use crate::db::drive::{FileRow, FolderRow};
    use crate::db::schema::{drive_files, drive_folders};
    let drives = own_channels(hub, user, |k| matches!(k, Kind::Drive));
    let mains = main_channels(hub, user);
    if drives.is_empty() && mains.is_empty() {
        return Ok(vec![]);
    }
    let file = |id: String| async move {
        let mut conn = state.db.get().await?;
        let f: Option<FileRow> =
            drive_files::table.find(&id).select(FileRow::as_select()).first(&mut conn).await.optional()?;
        anyhow::Ok(f.map(|f| pack_d::file(&f, pack_d::FileOpts { own: true }, None, None)))
    };
    let folder = |id: String| async move {
        let mut conn = state.db.get().await?;
        let f: Option<FolderRow> = drive_folders::table
            .find(&id)
            .select(FolderRow::as_select())
            .first(&mut conn)
            .await
            .optional()?;
        anyhow::Ok(f.map(|f| pack_d::folder(&f, None)))
    };
    let (event, body, main_event) = match change {
        DriveChange::FileCreated { id } => ("fileCreated", file(id).await?, Some("driveFileCreated")),
        DriveChange::FileUpdated { id } => ("fileUpdated", file(id).await?, None),
        DriveChange::FileDeleted { id } => ("fileDeleted", Some(json!(id)), None),
        DriveChange::FolderCreated { id } => ("folderCreated", folder(id).await?, None),
        DriveChange::FolderUpdated { id } => ("folderUpdated", folder(id).await?, None),
        DriveChange::FolderDeleted { id } => ("folderDeleted", Some(json!(id)), None),
        DriveChange::UrlUploadFinished { id, marker } => {
            let Some(f) = file(id).await? else { return Ok(vec![]) };
            let body = json!({ "marker": marker, "file": f }).to_string();
            return Ok(to_main(hub, user, "urlUploadFinished", Some(&body)));
        }
    };
    let Some(body) = body.map(|b| b.to_string()) else { return Ok(vec![]) };
    let mut out = Vec::new();
    for (o, _, chans) in drives {
        for ch in chans {
            out.push((o.clone(), channel_frame(&ch, event, Some(&body))));
        }
    }
    if let Some(e) = main_event {
        out.extend(to_main(hub, user, e, Some(&body)));
    }
    Ok(out)
}

async fn prepare(hub: &Hub, state: &AppState, ev: Event) -> anyhow::Result<Frames> {
    let base = state.config.url.as_str();
    match ev {
        Event::Note { id, reach } => note(hub, state, &id, &reach).await,
        Event::NoteUpdated { id, change } => Ok(note_updated(hub, &id, &change)),
        Event::Notified { id, user } => {
            let targets = main_channels(hub, &user);
            if targets.is_empty() {
                return Ok(vec![]);
            }
            let mut conn = state.db.get().await?;
            use crate::db::schema::notifications as n;
            let rows: Vec<NotificationRow> = n::table
                .find(&id)
                .filter(n::notifiee_id.eq(&user))
                .select(NotificationRow::as_select())
                .load(&mut conn)
                .await?;
            let notifier = <[NotificationRow]>::first(&rows).and_then(|r| r.notifier_id.clone());
            let Some(packed) = pack_n::pack(&mut conn, base, &user, &rows).await.map_err(api)?.pop() else {
                return Ok(vec![]);
            };
            let body = packed.to_string();
            let mut out = Vec::new();
            for (o, viewer, chans) in targets {
                if !viewer.hears_from(notifier.as_deref()) {
                    continue;
                }
                for ch in chans {
                    out.push((o.clone(), channel_frame(&ch, "notification", Some(&body))));
                    out.push((o.clone(), channel_frame(&ch, "unreadNotification", Some(&body))));
                }
            }
            Ok(out)
        }
        Event::Followed { follower, followee } => {
            let mut out = Vec::new();
            if !main_channels(hub, &follower).is_empty() {
                let body = detailed(state, &follower, &followee).await?;
                out.extend(to_main(hub, &follower, "follow", body.as_deref()));
            }
            out.extend(lite_to_main(hub, state, &followee, "followed", &follower).await?);
            Ok(out)
        }
        Event::FollowRequested { follower, followee } => {
            lite_to_main(hub, state, &followee, "receiveFollowRequest", &follower).await
        }
        Event::Unfollowed { follower, followee } => {
            if main_channels(hub, &follower).is_empty() {
                return Ok(vec![]);
            }
            let body = detailed(state, &follower, &followee).await?;
            Ok(to_main(hub, &follower, "unfollow", body.as_deref()))
        }
        Event::NotificationsRead { user } => Ok(to_main(hub, &user, "readAllNotifications", None)),
        Event::MeUpdated { user } => {
            if main_channels(hub, &user).is_empty() {
                return Ok(vec![]);
            }
            let mut conn = state.db.get().await?;
            let Some(row) = pack_users::load_one(&mut conn, &user).await? else { return Ok(vec![]) };
            let base_policies = state.policies.get(&state.db).await?;
            let policies = crate::domain::roles::held_by(&mut conn, &base_policies, &user).await?.policies;
            let me = pack_users::me_detailed(&mut conn, base, &row, &policies).await.map_err(api)?;
            Ok(to_main(hub, &user, "meUpdated", Some(&me.to_string())))
        }
        Event::TokenRegenerated { user } => {
            // The sockets opened with the old token close once that frame is written.
            let mut frames = to_main(hub, &user, "myTokenRegenerated", None);
            frames.extend(closing(hub, &user));
            Ok(frames)
        }
        Event::Suspended { user } => Ok(closing(hub, &user)),
        Event::Relations { users } => {
            let mut conn = state.db.get().await?;
            for user in users {
                let ids: Vec<ConnId> = hub.lock().under(&[Key::User(user.clone())]).into_iter().collect();
                if ids.is_empty() {
                    continue;
                }
                let viewer = Viewer::load(&mut conn, Some(&user)).await?;
                for id in ids {
                    hub.update(id, Some(viewer.clone()), &HashMap::new());
                }
            }
            Ok(vec![])
        }
        Event::Drive { user, change } => drive(hub, state, &user, change).await,
        Event::Emoji { change, ids, names } => emoji_changed(hub, state, change, &ids, names).await,
        Event::AbuseReported { id, target, reporter, comment } => {
            let body =
                json!({ "id": id, "targetUserId": target, "reporterId": reporter, "comment": comment })
                    .to_string();
            let g = hub.lock();
            let mut out = Vec::new();
            for c in g.under(&[Key::Admin]).iter().filter_map(|id| g.conns.get(id)) {
                for ch in c.channels.iter().filter(|ch| matches!(ch.kind, Kind::Admin)) {
                    out.push((c.out.clone(), channel_frame(&ch.id, "newAbuseUserReport", Some(&body))));
                }
            }
            Ok(out)
        }
        Event::Announced { id, user } => announced(hub, state, &id, user.as_deref()).await,
        Event::AnnouncementsRead { user } => Ok(to_main(hub, &user, "readAllAnnouncements", None)),
        Event::ListChanged { id } => {
            let ids: Vec<(ConnId, Option<String>)> = {
                let g = hub.lock();
                let ids = g.under(&[Key::List(id.clone())]);
                ids.into_iter().map(|c| (c, g.conns.get(&c).and_then(|c| c.viewer.id.clone()))).collect()
            };
            let mut conn = state.db.get().await?;
            for (cid, owner) in ids {
                let members = match owner {
                    Some(o) => timelines::list_members(&mut conn, &id, &o).await?,
                    None => None,
                };
                hub.update(cid, None, &HashMap::from([(id.clone(), members)]));
            }
            Ok(vec![])
        }
    }
}

/// The frames that close every socket of `user` once what is queued before them is written.
fn closing(hub: &Hub, user: &str) -> Frames {
    let g = hub.lock();
    let ids = g.under(&[Key::User(user.to_string())]);
    ids.iter().filter_map(|id| g.conns.get(id)).map(|c| (c.out.clone(), String::new())).collect()
}

fn api(e: crate::api::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

/// A main-channel event of `user` whose body is `about` as UserLite.
async fn lite_to_main(
    hub: &Hub,
    state: &AppState,
    user: &str,
    event: &str,
    about: &str,
) -> anyhow::Result<Frames> {
    if main_channels(hub, user).is_empty() {
        return Ok(vec![]);
    }
    let mut conn = state.db.get().await?;
    let Some(u) = pack_users::load_one(&mut conn, about).await? else { return Ok(vec![]) };
    let body = pack_users::lite(&state.config.url, &u).to_string();
    Ok(to_main(hub, user, event, Some(&body)))
}

/// UserDetailedNotMe of `user` as `me` sees it, as JSON.
async fn detailed(state: &AppState, me: &str, user: &str) -> anyhow::Result<Option<String>> {
    let mut conn = state.db.get().await?;
    let Some(u) = pack_users::load_one(&mut conn, user).await? else { return Ok(None) };
    let packed = pack_users::detailed(&mut conn, &state.config.url, Some(me), &[u]).await.map_err(api)?;
    Ok(packed.into_iter().next().map(|v| v.to_string()))
}

/// A new note for every channel that shows it to its viewer. Nothing is read unless a socket
/// of this process is filed under one of the ways the note can reach a viewer.
async fn note(hub: &Hub, state: &AppState, id: &str, reach: &Reach) -> anyhow::Result<Frames> {
    let mut keys = vec![Key::Author(reach.author.clone())];
    if reach.public {
        keys.push(Key::Global);
        if reach.local {
            keys.push(Key::Local);
        }
    }
    keys.extend(reach.tags.iter().map(|t| Key::Tag(t.clone())));
    keys.extend(reach.named.iter().map(|u| Key::Main(u.clone())));
    if hub.lock().under(&keys).is_empty() {
        return Ok(vec![]);
    }
    let mut conn = state.db.get().await?;
    let Some(mut view) = NoteView::load(&mut conn, id).await? else { return Ok(vec![]) };
    let n = view.note().clone();
    let mut hits = Vec::new();
    {
        let g = hub.lock();
        for cid in g.under(&keys) {
            let Some(c) = g.conns.get(&cid) else { continue };
            let events: Vec<(String, &'static str)> = c
                .channels
                .iter()
                .flat_map(|ch| ch.kind.note_events(&c.viewer, &n).into_iter().map(|e| (ch.id.clone(), e)))
                .collect();
            if !events.is_empty() {
                hits.push((c.out.clone(), c.viewer.clone(), events));
            }
        }
    }
    if hits.is_empty() {
        return Ok(vec![]);
    }
    let users: Vec<String> =
        hits.iter().filter_map(|h| h.1.id.clone()).collect::<HashSet<_>>().into_iter().collect();
    view.personalise(&mut conn, &users).await?;
    drop(conn);
    let mut frames = Vec::with_capacity(hits.len());
    for (out, viewer, events) in hits {
        let json = view.json_for(&state.config.url, &viewer);
        for (ch, e) in events {
            frames.push((out.clone(), channel_frame(&ch, e, Some(&json))));
        }
    }
    metrics::counter!("streaming_note_frames_total").increment(frames.len() as u64);
    Ok(frames)
}

/// Misskey's `noteUpdated` for the connections that captured the note, but not to viewers who
/// exclude whoever made the change.
fn note_updated(hub: &Hub, id: &str, change: &NoteChange) -> Frames {
    let (kind, body) = match change {
        NoteChange::Reacted { reaction, user_id, emoji_url } => {
            // A custom emoji comes with its picture, named as in `reactionEmojis` (`name@host`,
            // `name@.` for this server's).
            let emoji = emoji_url.as_ref().map(
                |url| json!({ "name": reaction.trim_start_matches(':').trim_end_matches(':'), "url": url }),
            );
            ("reacted", json!({ "reaction": reaction, "emoji": emoji, "userId": user_id }))
        }
        NoteChange::Unreacted { reaction, user_id } => {
            ("unreacted", json!({ "reaction": reaction, "userId": user_id }))
        }
        NoteChange::Deleted { deleted_at } => ("deleted", json!({ "deletedAt": deleted_at })),
        NoteChange::PollVoted { choice, user_id } => {
            ("pollVoted", json!({ "choice": choice, "userId": user_id }))
        }
    };
    let frame =
        json!({ "type": "noteUpdated", "body": { "id": id, "type": kind, "body": body } }).to_string();
    let g = hub.lock();
    g.under(&[Key::Note(id.to_string())])
        .iter()
        .filter_map(|cid| g.conns.get(cid))
        .filter(|c| c.viewer.hears_from(change.user()))
        .map(|c| (c.out.clone(), frame.clone()))
        .collect()
}
