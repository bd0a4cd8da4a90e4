//! What the instance tells whoever listens (the streaming connections of every process) once
//! a change is stored. Events name what changed, by id; listeners read it themselves, so an
//! event is emitted only after the change is committed. They travel through Redis
//! (`bus::events`) and may be lost; the change they tell of never is.

use serde::{Deserialize, Serialize};

/// A change to a note that those watching it hear (Misskey's `noteUpdated`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum NoteChange {
    Reacted {
        reaction: String,
        user_id: String,
        /// The picture of a custom emoji reaction (absent from processes that predate it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        emoji_url: Option<String>,
    },
    Unreacted {
        reaction: String,
        user_id: String,
    },
    Deleted {
        deleted_at: String,
    },
    PollVoted {
        choice: i32,
        user_id: String,
    },
}

impl NoteChange {
    /// Who made the change, if a user did.
    pub fn user(&self) -> Option<&str> {
        match self {
            NoteChange::Reacted { user_id, .. }
            | NoteChange::Unreacted { user_id, .. }
            | NoteChange::PollVoted { user_id, .. } => Some(user_id),
            NoteChange::Deleted { .. } => None,
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// A note was stored; `reach` says who could possibly see it, so that listeners read it only
    /// when one of theirs could.
    Note { id: String, reach: Reach },
    /// A stored note changed.
    NoteUpdated { id: String, change: NoteChange },
    /// A notification was stored for `user`.
    Notified { id: String, user: String },
    /// `follower` follows `followee` now.
    Followed { follower: String, followee: String },
    /// `follower` asks to follow `followee` (a locked account).
    FollowRequested { follower: String, followee: String },
    /// `follower` no longer follows `followee`.
    Unfollowed { follower: String, followee: String },
    /// Whom these users follow, mute or block changed, or who blocks them.
    Relations { users: Vec<String> },
    /// A user list's members changed, or the list is gone.
    ListChanged { id: String },
    /// `user`'s own account changed (profile, settings).
    MeUpdated { user: String },
    /// `user`'s native token was replaced: their sockets hear it and are closed.
    TokenRegenerated { user: String },
    /// `user` is suspended: their sockets close.
    Suspended { user: String },
    /// Every notification of `user` is read.
    NotificationsRead { user: String },
    /// Something in `user`'s drive changed.
    Drive { user: String, change: DriveChange },
    /// A user was reported to the moderators (their `admin` channels hear it).
    AbuseReported { id: String, target: String, reporter: String, comment: String },
    /// An announcement was made, to everyone or to `user`.
    Announced { id: String, user: Option<String> },
    /// `user` has read every announcement shown to them.
    AnnouncementsRead { user: String },
    /// The instance's custom emoji changed (every connection hears it); `names` of deleted ones.
    Emoji { change: EmojiChange, ids: Vec<String>, names: Vec<String> },
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "camelCase")]
pub enum EmojiChange {
    Added,
    Updated,
    Deleted,
}

/// A change in a drive, as its owner's `drive` channel (and `main`, for new files) hears it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DriveChange {
    FileCreated {
        id: String,
    },
    FileUpdated {
        id: String,
    },
    FileDeleted {
        id: String,
    },
    FolderCreated {
        id: String,
    },
    FolderUpdated {
        id: String,
    },
    FolderDeleted {
        id: String,
    },
    /// A file asked for by URL is stored (`marker` as the client gave it).
    UrlUploadFinished {
        id: String,
        marker: Option<String>,
    },
}

/// The users, feeds and tags through which a note can reach a viewer: its author's followers
/// and the lists holding its author, the users it names (mentions, addressees, the authors it
/// replies to or renotes), its tags, and the local and global feeds when it is public.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Reach {
    pub author: String,
    pub named: Vec<String>,
    pub tags: Vec<String>,
    pub public: bool,
    pub local: bool,
}

impl Reach {
    pub fn of(n: &crate::db::notes::NoteRow) -> Reach {
        let mut named: Vec<String> = n
            .mentions
            .iter()
            .chain(&n.visible_user_ids)
            .chain(&n.reply_user_id)
            .chain(&n.renote_user_id)
            .cloned()
            .collect();
        named.sort_unstable();
        named.dedup();
        Reach {
            author: n.user_id.clone(),
            named,
            tags: n.tags.clone(),
            public: n.visibility == "public",
            local: n.user_host.is_none(),
        }
    }
}

/// Tells the event to every listener of the instance (after the change is committed).
pub fn emit(e: Event) {
    match serde_json::to_string(&e) {
        Ok(s) => crate::bus::events::publish(s),
        Err(err) => tracing::error!(error = %err, "event not serialisable"),
    }
}

/// Tells of the stored notifications.
pub fn notified(stored: &[crate::db::notifications::Stored]) {
    for n in stored {
        emit(Event::Notified { id: n.id.clone(), user: n.notifiee_id.clone() });
    }
}
