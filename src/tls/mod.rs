//! TLS: exactly one of ACME (certificates obtained and renewed in the background), PEM files
//! (reloaded on SIGHUP), or off (plain HTTP behind a reverse proxy).

pub mod acme;
pub mod files;

use rustls::ServerConfig;

/// ALPN protocols offered to browsers and peers.
pub fn alpn() -> Vec<Vec<u8>> {
    vec![b"h2".to_vec(), b"http/1.1".to_vec()]
}

/// Client TLS configuration trusting the bundled web PKI roots plus optional extra PEM roots.
pub fn client_config(extra_ca: Option<&std::path::Path>) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        for cert in files::read_certs(path)? {
            roots
                .add(cert)
                .map_err(|e| anyhow::anyhow!("{}: unusable CA certificate: {e}", path.display()))?;
        }
    }
    Ok(rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth())
}

pub fn server_config_with(resolver: std::sync::Arc<dyn rustls::server::ResolvesServerCert>) -> ServerConfig {
    let mut c = ServerConfig::builder().with_no_client_auth().with_cert_resolver(resolver);
    c.alpn_protocols = alpn();
    c
}

/// Expiry of the first certificate in a PEM file or PEM bundle, as Unix seconds.
pub fn pem_not_after(pem: &[u8]) -> Option<i64> {
    let text = String::from_utf8_lossy(pem);
    let start = text.find("-----BEGIN CERTIFICATE-----")?;
    let (_, parsed) = x509_parser::pem::parse_x509_pem(text[start..].as_bytes()).ok()?;
    let cert = parsed.parse_x509().ok()?;
    Some(cert.validity().not_after.timestamp())
}
