//! The connections of this process and what each listens to, indexed by what can reach them:
//! a note's author (home and social feeds of the author's followers, user lists holding the
//! author), the local and global feeds, hashtags, the users a note names (main channels), and
//! notes captured with `subNote`. An event looks up only the sockets it may reach, so its cost
//! does not grow with idle sockets elsewhere. Every decision of what a viewer sees is the
//! domain's ([`Viewer`]).

use crate::domain::timelines::{Feed, Switches, Viewer};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, Notify};

pub type ConnId = u64;

/// At most this many channels per connection, as Misskey allows.
pub const MAX_CHANNELS: usize = 32;
/// At most this many notes captured per connection.
pub const MAX_CAPTURED: usize = 1024;

/// Frames waiting for one connection's socket; past this the reader is too slow and is dropped.
pub const QUEUE: usize = 512;

/// Where a connection's frames go: its queue, and the signal that closes it (too slow a
/// reader, or the server stops).
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<String>,
    kill: Arc<Notify>,
}

impl Outbox {
    /// The outbox and what the connection's writer reads.
    pub fn new() -> (Outbox, mpsc::Receiver<String>, Arc<Notify>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let kill = Arc::new(Notify::new());
        (Outbox { tx, kill: kill.clone() }, rx, kill)
    }

    /// Queues a frame (an empty one closes the socket once those before it are written); a
    /// connection too slow to take it is closed.
    pub fn send(&self, text: String) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(text) {
            metrics::counter!("streaming_slow_closed_total").increment(1);
            self.close();
        }
    }

    pub fn close(&self) {
        self.kill.notify_one();
    }
}

/// A channel as connected: Misskey's channel name decides the kind, the client its id.
#[derive(Clone, Debug)]
pub struct Channel {
    pub id: String,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Main,
    /// The moderators' channel (new abuse reports).
    Admin,
    /// The viewer's own drive: files and folders as they change.
    Drive,
    Home(Switches),
    Local(Switches),
    Hybrid(Switches),
    Global(Switches),
    List {
        list: String,
        members: HashMap<String, bool>,
        switches: Switches,
    },
    /// OR of AND groups of normalized tags.
    Hashtag(Vec<Vec<String>>),
}

impl Kind {
    /// Whether a note joins this channel for the viewer, and as which event.
    pub fn note_events(&self, v: &Viewer, n: &crate::db::notes::NoteRow) -> Vec<&'static str> {
        let shows = |feed, s| if v.shows(feed, s, n) { vec!["note"] } else { vec![] };
        match self {
            Kind::Main => v.note_events(n),
            Kind::Drive | Kind::Admin => vec![],
            Kind::Home(s) => shows(Feed::Home, *s),
            Kind::Local(s) => shows(Feed::Local, *s),
            Kind::Hybrid(s) => shows(Feed::Hybrid, *s),
            Kind::Global(s) => shows(Feed::Global, *s),
            Kind::List { members, switches, .. } => shows(Feed::List(members), *switches),
            Kind::Hashtag(q) => {
                shows(Feed::Hashtag(q), Switches { with_renotes: true, ..Default::default() })
            }
        }
    }
}

/// Where a connection is indexed.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Key {
    /// Notes by this user.
    Author(String),
    /// Public notes of local users.
    Local,
    /// Public notes.
    Global,
    Tag(String),
    /// Events for this user's main channel.
    Main(String),
    /// Changes to this note.
    Note(String),
    /// This user list changed.
    List(String),
    /// This user's relations changed.
    User(String),
    /// Moderators' `admin` channels.
    Admin,
}

pub struct Conn {
    pub out: Outbox,
    pub viewer: Arc<Viewer>,
    pub channels: Vec<Channel>,
    /// Captured notes, reference-counted as Misskey's `subNote` is.
    pub captured: HashMap<String, u32>,
}

#[derive(Default)]
pub struct Inner {
    pub conns: HashMap<ConnId, Conn>,
    index: HashMap<Key, HashSet<ConnId>>,
}

impl Inner {
    /// The connections under any of the keys.
    pub fn under<'a>(&self, keys: impl IntoIterator<Item = &'a Key>) -> HashSet<ConnId> {
        let mut out = HashSet::new();
        for k in keys {
            if let Some(ids) = self.index.get(k) {
                out.extend(ids);
            }
        }
        out
    }

    /// Applies a change to a connection and files it under what it listens to afterwards, and
    /// nowhere else. (A connection's keys are not stored: they follow from its state, and a
    /// socket's viewer of a hundred follows would otherwise keep a hundred keys twice.)
    fn change<T>(&mut self, id: ConnId, f: impl FnOnce(&mut Conn) -> T) -> Option<T> {
        let c = self.conns.get_mut(&id)?;
        let old = keys_of(c);
        let out = f(c);
        let new = keys_of(c);
        for k in old.difference(&new) {
            self.unfile(k.clone(), id);
        }
        for k in new.difference(&old) {
            self.file(k.clone(), id);
        }
        Some(out)
    }

    fn file(&mut self, k: Key, id: ConnId) {
        self.index.entry(k).or_default().insert(id);
    }

    fn unfile(&mut self, k: Key, id: ConnId) {
        if let std::collections::hash_map::Entry::Occupied(mut e) = self.index.entry(k) {
            e.get_mut().remove(&id);
            if e.get().is_empty() {
                e.remove();
            }
        }
    }
}

/// Where a connection is filed, from its viewer and channels. (Captured notes are filed one by
/// one as they are captured and released: a client captures every note it shows.)
fn keys_of(c: &Conn) -> HashSet<Key> {
    let mut keys = HashSet::new();
    if let Some(me) = &c.viewer.id {
        keys.insert(Key::User(me.clone()));
    }
    for ch in &c.channels {
        match &ch.kind {
            Kind::Main | Kind::Drive => keys.extend(c.viewer.id.clone().map(Key::Main)),
            Kind::Admin => {
                keys.insert(Key::Admin);
            }
            Kind::Home(_) | Kind::Hybrid(_) => {
                keys.extend(c.viewer.following.keys().map(|u| Key::Author(u.to_string())));
                keys.extend(c.viewer.id.clone().map(Key::Author));
                if matches!(ch.kind, Kind::Hybrid(_)) {
                    keys.insert(Key::Local);
                }
            }
            Kind::Local(_) => {
                keys.insert(Key::Local);
            }
            Kind::Global(_) => {
                keys.insert(Key::Global);
            }
            Kind::List { list, members, .. } => {
                keys.insert(Key::List(list.clone()));
                keys.extend(members.keys().map(|u| Key::Author(u.clone())));
            }
            // A group matches only notes with all its tags, so its first tag is enough.
            Kind::Hashtag(q) => keys.extend(q.iter().filter_map(|g| g.first().cloned().map(Key::Tag))),
        }
    }
    keys
}

/// The registry of this process's streaming connections.
#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
    next: AtomicU64,
}

impl Hub {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn register(&self, viewer: Viewer, out: Outbox) -> ConnId {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut g = self.lock();
        let conn =
            Conn { out, viewer: Arc::new(Viewer::default()), channels: vec![], captured: HashMap::new() };
        g.conns.insert(id, conn);
        g.change(id, |c| c.viewer = Arc::new(viewer));
        metrics::gauge!("streaming_connections").set(g.conns.len() as f64);
        id
    }

    pub fn unregister(&self, id: ConnId) {
        let mut g = self.lock();
        let notes: Vec<String> =
            g.conns.get(&id).map(|c| c.captured.keys().cloned().collect()).unwrap_or_default();
        for n in notes {
            g.unfile(Key::Note(n), id);
        }
        g.change(id, |c| {
            c.channels.clear();
            c.viewer = Arc::new(Viewer::default());
        });
        g.conns.remove(&id);
        metrics::gauge!("streaming_connections").set(g.conns.len() as f64);
    }

    /// Adds a channel; false when the connection has as many as it may.
    pub fn connect(&self, id: ConnId, channel: Channel) -> bool {
        self.lock()
            .change(id, |c| {
                let room = c.channels.len() < MAX_CHANNELS;
                if room {
                    c.channels.push(channel);
                }
                room
            })
            .unwrap_or(false)
    }

    pub fn disconnect(&self, id: ConnId, channel_id: &str) {
        self.lock().change(id, |c| c.channels.retain(|ch| ch.id != channel_id));
    }

    /// Counts one more capture of the note; false past [`MAX_CAPTURED`].
    pub fn capture(&self, id: ConnId, note: &str) -> bool {
        let mut g = self.lock();
        let Some(c) = g.conns.get_mut(&id) else { return false };
        if let Some(n) = c.captured.get_mut(note) {
            *n = n.saturating_add(1);
            return true;
        }
        if c.captured.len() >= MAX_CAPTURED {
            return false;
        }
        c.captured.insert(note.to_string(), 1);
        g.file(Key::Note(note.to_string()), id);
        true
    }

    /// Counts one capture of the note less (all of them when `all`).
    pub fn release(&self, id: ConnId, note: &str, all: bool) {
        let mut g = self.lock();
        let Some(c) = g.conns.get_mut(&id) else { return };
        let Some(n) = c.captured.get_mut(note) else { return };
        *n -= 1;
        if *n == 0 || all {
            c.captured.remove(note);
            g.unfile(Key::Note(note.to_string()), id);
        }
    }

    /// Replaces the connection's viewer (relations reloaded) and list members.
    pub fn update(
        &self,
        id: ConnId,
        viewer: Option<Viewer>,
        lists: &HashMap<String, Option<HashMap<String, bool>>>,
    ) {
        self.lock().change(id, |c| {
            if let Some(v) = viewer {
                c.viewer = Arc::new(v);
            }
            c.channels.retain_mut(|ch| match &mut ch.kind {
                Kind::List { list, members, .. } => match lists.get(list) {
                    Some(Some(m)) => {
                        *members = m.clone();
                        true
                    }
                    Some(None) => false,
                    None => true,
                },
                _ => true,
            });
        });
    }

    /// Tells every connection to close (the server stops).
    pub fn close_all(&self) {
        let g = self.lock();
        for c in g.conns.values() {
            c.out.close();
        }
    }
}
