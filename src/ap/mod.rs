//! ActivityPub: an adapter beside the client API. Discovery (WebFinger, host-meta, NodeInfo),
//! local actors, notes and collections as ActivityStreams JSON (`render`), HTTP Signatures
//! (`signature`), the guarded client (`client`), remote objects made local (`resolve`), the
//! inbox (`inbox`) and delivery (`deliver`).

pub mod client;
pub mod deliver;
pub mod inbox;
pub mod media;
pub mod objects;
pub mod render;
pub mod resolve;
pub mod signature;
pub mod wellknown;

use crate::db::users::UserRow;
use crate::state::AppState;
use actix_web::web;
use signature::{PublicKey, Signer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What federation shares across requests and jobs: the state, the guarded client and caches
/// of keys. The host policy is the domain's (`domain::federation::current`).
pub struct Federation {
    pub state: Arc<AppState>,
    pub client: client::ApClient,
    /// The public URL without a trailing slash.
    pub base: String,
    keys: Mutex<HashMap<String, (Instant, UserRow, PublicKey)>>,
    signers: Mutex<HashMap<String, Arc<Signer>>>,
    instance: tokio::sync::OnceCell<Signer>,
    /// Activities posted to the inbox, enqueued together.
    pub inbox_jobs: crate::domain::jobs::Enqueuer,
}

impl Federation {
    pub fn new(state: Arc<AppState>) -> anyhow::Result<Arc<Self>> {
        let cfg = &state.config.federation;
        use crate::domain::federation;
        federation::install_policy(federation::HostPolicy::from_config(cfg));
        federation::keep_current(state.db.clone());
        let client = client::ApClient::new(cfg.allow_insecure_peers, None)?;
        let base = state.config.url.trim_end_matches('/').to_string();
        Ok(Arc::new(Federation {
            inbox_jobs: crate::domain::jobs::Enqueuer::start(state.db.clone()),
            state,
            client,
            base,
            keys: Mutex::default(),
            signers: Mutex::default(),
            instance: tokio::sync::OnceCell::new(),
        }))
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    wellknown::configure(cfg);
    objects::configure(cfg);
    inbox::configure(cfg);
}
