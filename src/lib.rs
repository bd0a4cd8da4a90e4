#![recursion_limit = "256"]
//! misskey-rs: a Misskey-compatible fediverse server in one binary. The binary is a thin
//! wrapper over this library, which integration tests and benchmarks use as well.

pub mod ap;
pub mod api;
pub mod bus;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod id;
pub mod jobs;
pub mod logging;
pub mod media;
pub mod mfm;
pub mod state;
pub mod storage;
pub mod streaming;
pub mod supervise;
pub mod tls;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
