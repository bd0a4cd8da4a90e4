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
use crate::domain::federation::HostPolicy;
use crate::state::AppState;
use actix_web::web;
use signature::{PublicKey, Signer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What federation shares across requests and jobs: the state, the guarded client, the host
/// policy and caches of keys.
pub struct Federation {
    pub state: Arc<AppState>,
    pub client: client::ApClient,
    pub policy: HostPolicy,
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
        let policy = HostPolicy::from_config(cfg);
        crate::domain::federation::install_policy(policy.clone());
        let client = client::ApClient::new(cfg.allow_insecure_peers, policy.clone())?;
        let base = state.config.url.trim_end_matches('/').to_string();
        Ok(Arc::new(Federation {
            inbox_jobs: crate::domain::jobs::Enqueuer::start(state.db.clone()),
            state,
            client,
            policy,
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
