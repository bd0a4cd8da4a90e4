//! `tls.mode = "files"`: a PEM certificate chain and key, reloaded on SIGHUP without dropping
//! connections. A reload that fails keeps the previous certificate and logs why.

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| anyhow::anyhow!("cannot read certificate file {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{}: not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no certificate found", path.display());
    }
    Ok(certs)
}

fn load(cert: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    let certs = read_certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("cannot read private key {}: {e}", key.display()))?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| anyhow::anyhow!("unsupported private key: {e}"))?;
    let ck = CertifiedKey::new(certs, signer);
    ck.keys_match().map_err(|e| anyhow::anyhow!("certificate and key do not match: {e}"))?;
    Ok(ck)
}

#[derive(Debug)]
pub struct FileResolver {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl FileResolver {
    pub fn new(cert: &Path, key: &Path) -> anyhow::Result<Arc<Self>> {
        let ck = load(cert, key)?;
        Ok(Arc::new(FileResolver {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: RwLock::new(Arc::new(ck)),
        }))
    }

    /// Re-reads the files; on error the old certificate stays in use.
    pub fn reload(&self) {
        match load(&self.cert, &self.key) {
            Ok(ck) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ck);
                tracing::info!(cert = %self.cert.display(), "reloaded TLS certificate");
            }
            Err(e) => {
                tracing::error!(error = %e, "TLS certificate reload failed; keeping the previous one")
            }
        }
    }
}

impl ResolvesServerCert for FileResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}
