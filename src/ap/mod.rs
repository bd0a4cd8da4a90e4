//! ActivityPub: an adapter beside the client API. Discovery (WebFinger, host-meta, NodeInfo),
//! local actors, notes and collections as ActivityStreams JSON (`render`), and HTTP
//! Signatures (`signature`).

pub mod client;
pub mod objects;
pub mod render;
pub mod signature;
mod wellknown;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    wellknown::configure(cfg);
    objects::configure(cfg);
}
