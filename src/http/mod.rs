//! HTTP assembly: routes, middleware, probes, and the listeners for each TLS mode.

pub mod client_ip;
mod files;
mod health;
mod identicon;
pub mod metrics;
pub mod proxy;
mod server;
pub mod ui;

pub use server::run;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/livez", web::get().to(health::livez))
        .route("/readyz", web::get().to(health::readyz))
        .route("/identicon/{acct}", web::get().to(identicon::serve))
        .route("/files/{key}", web::get().to(files::serve))
        .route("/files/{key}", web::head().to(files::serve))
        .route("/proxy/{name:.*}", web::get().to(proxy::serve))
        .route("/miauth/{session}", web::get().to(crate::api::miauth_page));
    crate::ap::configure(cfg);
    crate::streaming::configure(cfg);
    crate::api::configure(cfg);
}
