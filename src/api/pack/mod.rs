//! Misskey's JSON shapes, one packer per entity, each loading its relations per batch.

pub mod announcements;
pub mod drive;
pub mod emoji;
pub mod notes;
pub mod notifications;
pub mod roles;
pub mod users;

/// A timestamp as Misskey's JSON writes it: ISO 8601 in UTC with milliseconds.
pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
