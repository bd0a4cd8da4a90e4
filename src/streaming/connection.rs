//! One WebSocket: reads the client's frames (Misskey's protocol), writes what the hub queues for
//! it, pings it, and drops it when it stops answering. A frame that is not understood is
//! ignored; nothing a client sends closes another channel or connection.

use super::hub::{Channel, ConnId, Hub, Kind, Outbox};
use crate::api::auth::Me;
use crate::domain::timelines::{self, Public, Switches};
use crate::state::AppState;
use actix_ws::{AggregatedMessage, AggregatedMessageStream, Session};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

/// The server pings this often…
const PING_EVERY: Duration = Duration::from_secs(60);
/// …and drops a socket that sent nothing (pongs included) for this long.
const IDLE_LIMIT: Duration = Duration::from_secs(120);
/// A socket that takes no frame for this long is dropped.
const WRITE_LIMIT: Duration = Duration::from_secs(10);
/// The largest frame a client may send (the largest real one is a few hundred bytes).
pub const MAX_FRAME: usize = 64 * 1024;
/// Channel and note ids longer than this are not ids.
const MAX_ID: usize = 256;
/// Hashtag channel bounds: groups, tags per group, characters per tag.
const MAX_TAG_GROUPS: usize = 16;
const MAX_TAGS: usize = 16;
const MAX_TAG_CHARS: usize = 128;

pub struct Socket {
    pub hub: Arc<Hub>,
    pub state: Arc<AppState>,
    pub me: Option<Arc<Me>>,
    pub id: ConnId,
}

/// Serves the socket until the client leaves, stops answering, or the hub closes it.
pub async fn run(
    s: Socket,
    mut session: Session,
    stream: AggregatedMessageStream,
    mut rx: mpsc::Receiver<String>,
    kill: Arc<Notify>,
) {
    let mut stream = stream;
    let mut last_seen = Instant::now();
    let mut budget = Budget::new();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            msg = stream.recv() => {
                let Some(Ok(msg)) = msg else { break };
                last_seen = Instant::now();
                match msg {
                    AggregatedMessage::Text(t) => {
                        // Boxed: the frame's work (database reads) is the largest state of this
                        // future, and an idle socket should not carry room for it.
                        let reply = if &*t == "ping" {
                            Some("pong".to_string())
                        } else if budget.take() {
                            Box::pin(s.frame(&t)).await
                        } else {
                            metrics::counter!("streaming_frames_refused_total").increment(1);
                            None
                        };
                        if let Some(reply) = reply {
                            if !write(&mut session, reply).await {
                                break;
                            }
                        }
                    }
                    AggregatedMessage::Ping(b) => {
                        if session.pong(&b).await.is_err() {
                            break;
                        }
                    }
                    AggregatedMessage::Close(_) => break,
                    AggregatedMessage::Pong(_) | AggregatedMessage::Binary(_) => {}
                }
            }
            out = rx.recv() => {
                // An empty frame is the hub's word to close after what came before it.
                let Some(text) = out.filter(|t| !t.is_empty()) else { break };
                if !write(&mut session, text).await {
                    break;
                }
            }
            _ = kill.notified() => break,
            _ = ping.tick() => {
                if last_seen.elapsed() > IDLE_LIMIT || session.ping(b"").await.is_err() {
                    break;
                }
            }
        }
    }
    s.hub.unregister(s.id);
    let _ = session.close(None).await;
}

/// How many client frames a socket may send: a burst of [`Budget::BURST`] (a client subscribes
/// to every note of a page it shows at once), then [`Budget::PER_SECOND`]. Frames past it are
/// ignored, so a flood costs its sender, not the database.
struct Budget {
    left: f64,
    at: Instant,
}

impl Budget {
    const BURST: f64 = 200.0;
    const PER_SECOND: f64 = 50.0;

    fn new() -> Self {
        Budget { left: Self::BURST, at: Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.left =
            (self.left + now.duration_since(self.at).as_secs_f64() * Self::PER_SECOND).min(Self::BURST);
        self.at = now;
        if self.left >= 1.0 {
            self.left -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Writes a frame; false when the socket is gone or has not taken a frame for [`WRITE_LIMIT`]
/// (a client that stops reading).
async fn write(session: &mut Session, text: String) -> bool {
    matches!(tokio::time::timeout(WRITE_LIMIT, session.text(text)).await, Ok(Ok(())))
}

/// JavaScript's truthiness of a parameter, as Misskey reads channel switches (`!!x`).
fn truthy(v: Option<&Value>, default: bool) -> bool {
    match v {
        None | Some(Value::Null) => default,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

fn id_of(body: &Value, field: &str) -> Option<String> {
    body.get(field).and_then(Value::as_str).filter(|s| !s.is_empty() && s.len() <= MAX_ID).map(str::to_owned)
}

impl Socket {
    /// Handles one client frame; answers a frame to send back, if any.
    async fn frame(&self, text: &str) -> Option<String> {
        let v: Value = serde_json::from_str(text).ok()?;
        let body = v.get("body").cloned().unwrap_or(Value::Null);
        match v.get("type")?.as_str()? {
            "connect" => {
                let channel = body.get("channel")?.as_str()?;
                let id = id_of(&body, "id")?;
                let params = body.get("params").cloned().unwrap_or(Value::Null);
                let kind = match self.kind(channel, &params).await {
                    Ok(Some(k)) => k,
                    Ok(None) => return None,
                    Err(e) => {
                        tracing::warn!(error = %e, channel, "streaming: channel not connected");
                        return None;
                    }
                };
                let acked = truthy(body.get("pong"), false);
                (self.hub.connect(self.id, Channel { id: id.clone(), kind }) && acked)
                    .then(|| json!({ "type": "connected", "body": { "id": id } }).to_string())
            }
            "disconnect" => {
                self.hub.disconnect(self.id, &id_of(&body, "id")?);
                None
            }
            "subNote" | "s" | "sr" => {
                let note = id_of(&body, "id")?;
                let me = self.me.as_ref().map(|m| m.id.as_str());
                let mut conn = self.state.db.get().await.ok()?;
                // Only a note the viewer may see can be watched.
                if crate::domain::visibility::visible_note(&mut conn, me, &note).await.ok()?.is_some() {
                    self.hub.capture(self.id, &note);
                }
                None
            }
            "unsubNote" | "un" => {
                self.hub.release(self.id, &id_of(&body, "id")?, false);
                None
            }
            "readNotification" => {
                let me = self.me.as_ref()?;
                let mut conn = self.state.db.get().await.ok()?;
                if let Err(e) = crate::domain::notify::read_all(&mut conn, &me.id).await {
                    tracing::warn!(error = %e, "streaming: notifications not marked read");
                }
                None
            }
            // No channel here takes messages from the client.
            _ => None,
        }
    }

    /// The channel a `connect` asks for; `None` when this viewer may not have it, or it is
    /// unknown (Misskey ignores such requests).
    async fn kind(&self, channel: &str, params: &Value) -> anyhow::Result<Option<Kind>> {
        let switches = || Switches {
            with_renotes: truthy(params.get("withRenotes"), true),
            with_files: truthy(params.get("withFiles"), false),
            with_replies: truthy(params.get("withReplies"), false),
        };
        let staff = self.me.as_ref().is_some_and(|m| m.is_staff());
        let open = |tl| async move {
            let facts = self.me.as_ref().map(|m| &m.facts);
            let policies =
                crate::domain::roles::policies_for(&self.state.db, &self.state.policies, facts).await?;
            anyhow::Ok(timelines::allowed(tl, staff, &policies).is_ok())
        };
        let me = self.me.as_ref().map(|m| m.id.clone());
        Ok(match channel {
            "main" => me.map(|_| Kind::Main),
            "drive" => me.map(|_| Kind::Drive),
            // As Misskey: an app token needs read:admin:stream besides a moderator's account.
            "admin" => {
                (staff && self.me.as_ref().is_some_and(|m| m.may("read:admin:stream"))).then_some(Kind::Admin)
            }
            "homeTimeline" => me.map(|_| Kind::Home(switches())),
            "localTimeline" => open(Public::Local).await?.then(|| Kind::Local(switches())),
            "hybridTimeline" => match me {
                Some(_) if open(Public::Hybrid).await? => Some(Kind::Hybrid(switches())),
                _ => None,
            },
            "globalTimeline" => open(Public::Global).await?.then(|| Kind::Global(switches())),
            "userList" => {
                let (Some(me), Some(list)) = (me, id_of(params, "listId")) else { return Ok(None) };
                let mut conn = self.state.db.get().await?;
                timelines::list_members(&mut conn, &list, &me).await?.map(|members| Kind::List {
                    list,
                    members,
                    switches: switches(),
                })
            }
            "hashtag" => hashtag_query(params.get("q")).map(Kind::Hashtag),
            _ => None,
        })
    }
}

/// The hashtag channel's `q`: groups of tags, normalized as notes store them; empty groups
/// dropped; `None` when nothing usable remains or it is out of bounds.
fn hashtag_query(q: Option<&Value>) -> Option<Vec<Vec<String>>> {
    let groups = q?.as_array()?;
    if groups.len() > MAX_TAG_GROUPS {
        return None;
    }
    let mut out = Vec::new();
    for g in groups {
        let tags = g.as_array()?;
        if tags.len() > MAX_TAGS {
            return None;
        }
        let mut group = Vec::new();
        for t in tags {
            let t = t.as_str()?.trim_start_matches('#');
            if t.is_empty() || t.chars().count() > MAX_TAG_CHARS {
                return None;
            }
            group.push(crate::mfm::extract::normalize_for_search(t));
        }
        if !group.is_empty() {
            out.push(group);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Registers a new socket's connection with the hub.
pub fn register(
    hub: &Hub,
    viewer: crate::domain::timelines::Viewer,
) -> (ConnId, mpsc::Receiver<String>, Arc<Notify>) {
    let (out, rx, kill) = Outbox::new();
    (hub.register(viewer, out), rx, kill)
}
