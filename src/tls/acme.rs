//! `tls.mode = "acme"`: certificates from an ACME CA through TLS-ALPN-01 on the HTTPS port (no
//! port 80 needed). Account key and certificates live in `data_dir/acme`. Issuance and renewal
//! (at two thirds of the certificate's lifetime) run in a background task, never on the request
//! path; until the first certificate arrives, TLS handshakes for normal clients fail.

use crate::config::Config;
use futures_util::StreamExt;
use rustls_acme::caches::DirCache;
use rustls_acme::{AcmeConfig, ResolvesServerCertAcme};
use std::sync::Arc;

pub fn cache_dir(cfg: &Config) -> std::path::PathBuf {
    cfg.data_dir.join("acme")
}

/// Starts the ACME state machine and returns the resolver to serve certificates from.
pub fn start(cfg: &Config) -> anyhow::Result<Arc<ResolvesServerCertAcme>> {
    let client = Arc::new(super::client_config(cfg.tls.acme_ca_file.as_deref())?);
    let dir = cache_dir(cfg);
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let mut state = AcmeConfig::new_with_client_config([cfg.hostname()], client)
        .contact_push(format!("mailto:{}", cfg.tls.acme_email))
        .directory(&cfg.tls.acme_directory)
        .cache(DirCache::new(dir))
        .state();
    let resolver = state.resolver();
    tokio::spawn(async move {
        // Polling must never stop: the cache is written after a certificate is deployed.
        while let Some(event) = state.next().await {
            match event {
                Ok(ev) => tracing::info!(event = ?ev, "acme"),
                Err(err) => tracing::error!(error = ?err, "acme error; will retry"),
            }
        }
    });
    Ok(resolver)
}

/// Expiry (Unix seconds) of the cached certificate, if any; for `doctor`.
pub fn cached_not_after(cfg: &Config) -> Option<i64> {
    let dir = cache_dir(cfg);
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("cached_cert_"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|pem| super::pem_not_after(&pem))
        .max()
}
