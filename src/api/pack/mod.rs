//! Misskey's JSON shapes, one packer per entity, each loading its relations per batch.

pub mod notes;
pub mod notifications;
pub mod users;
