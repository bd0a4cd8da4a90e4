//! The rules of the instance, shared by the API, ActivityPub and the CLI.

pub mod keys;
pub mod policies;
pub mod users;
