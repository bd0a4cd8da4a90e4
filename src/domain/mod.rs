//! The rules of the instance, shared by the API, ActivityPub and the CLI.

pub mod announcements;
pub mod deletion;
pub mod drive;
pub mod emoji;
mod error;
pub mod events;
pub mod federation;
pub mod follows;
pub mod invites;
pub mod jobs;
pub mod keys;
pub mod moderation;
pub mod notes;
pub mod notify;
pub mod pins;
pub mod policies;
pub mod polls;
pub mod reactions;
pub mod remote;
pub mod roles;
pub mod search;
pub mod settings;
pub mod timelines;
pub mod totp;
pub mod users;
pub mod visibility;
pub mod words;

pub use error::{Error, FileAction, FolderAction, Refusal};
