//! TLS modes: PEM files (with SIGHUP reload and the HTTP→HTTPS redirect) and ACME against a
//! real ACME server, Debian's `pebble`, including the renewal of a certificate near its end.

mod common;
use common::procs;
use common::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::net::ToSocketAddrs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    Ca { cert: p.self_signed(&key).unwrap(), key }
}

/// A leaf for `names` signed by `ca`, valid from `days_ago` until `days_left` from now.
fn leaf(ca: &Ca, names: &[&str], days_ago: i64, days_left: i64) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(days_ago);
    p.not_after = now + time::Duration::days(days_left);
    (p.signed_by(&key, &ca.cert, &ca.key).unwrap(), key)
}

/// Handshakes with 127.0.0.1:port as `sni`, trusting `root_pem`; returns the leaf certificate.
async fn peer_cert(port: u16, sni: &str, root_pem: &str) -> Result<Vec<u8>, String> {
    use rustls_pki_types::pem::PemObject;
    install_crypto();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_slice_iter(root_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
    let name = rustls_pki_types::ServerName::try_from(sni.to_string()).unwrap();
    let tls = connector.connect(name, tcp).await.map_err(|e| e.to_string())?;
    let certs = tls.get_ref().1.peer_certificates().ok_or("no certificate")?;
    Ok(certs[0].to_vec())
}

#[tokio::test]
async fn files_mode_serves_reloads_on_sighup_and_redirects() {
    let dir = TempDir::new("tlsfiles");
    let ca = ca("misskey-rs test CA");
    let (c1, k1) = leaf(&ca, &["localhost"], 1, 90);
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, c1.pem()).unwrap();
    std::fs::write(&key, k1.serialize_pem()).unwrap();
    let db = TestDb::new("tlsfiles");
    let (https, redirect) = (free_port(), free_port());
    let config = dir.path().join("c.toml");
    let url = format!("https://localhost:{https}");
    let hl = format!("127.0.0.1:{https}");
    let rl = format!("http.redirect_listen=\"127.0.0.1:{redirect}\"");
    let (ok, out, err) = run(&[
        "--config",
        config.to_str().unwrap(),
        "--set",
        &rl,
        "init",
        "--yes",
        "--domain",
        "localhost",
        "--url",
        &url,
        "--tls",
        "files",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--https-listen",
        &hl,
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--db-url",
        &db.url,
        "--setup-token",
    ]);
    assert!(ok, "{out}{err}");
    let server = Server::start(&config, &["--set", &rl], url.clone());
    let ca_pem = ca.cert.pem();
    let t0 = Instant::now();
    let first = loop {
        match peer_cert(https, "localhost", &ca_pem).await {
            Ok(c) => break c,
            Err(e) => assert!(t0.elapsed() < Duration::from_secs(20), "{e}\n{}", server.log_text()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(first, c1.der().to_vec());

    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .resolve("localhost", format!("127.0.0.1:{https}").parse().unwrap())
        .build()
        .unwrap();
    let t0 = Instant::now();
    while client.get(format!("{url}/readyz")).send().await.map(|r| r.status().as_u16()).unwrap_or(0) != 200 {
        assert!(t0.elapsed() < Duration::from_secs(20), "{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A broken file on reload keeps the old certificate.
    std::fs::write(&cert, "garbage").unwrap();
    unsafe { libc::kill(server.child.id() as i32, libc::SIGHUP) };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(peer_cert(https, "localhost", &ca_pem).await.unwrap(), c1.der().to_vec());
    assert!(server.log_text().contains("keeping the previous one"));

    let (c2, k2) = leaf(&ca, &["localhost"], 1, 90);
    std::fs::write(&cert, c2.pem()).unwrap();
    std::fs::write(&key, k2.serialize_pem()).unwrap();
    unsafe { libc::kill(server.child.id() as i32, libc::SIGHUP) };
    let t0 = Instant::now();
    while peer_cert(https, "localhost", &ca_pem).await.unwrap() != c2.der().to_vec() {
        assert!(t0.elapsed() < Duration::from_secs(10), "certificate not reloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = plain.get(format!("http://127.0.0.1:{redirect}/notes/abc?x=1")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 308);
    assert_eq!(r.headers()["location"], format!("{url}/notes/abc?x=1").as_str());
    assert!(server.stop().success());
}

struct Pebble {
    procs: Vec<std::process::Child>,
    dir: String,
    mgmt: u16,
    ca_pem: String,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

impl Pebble {
    fn directory(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.dir)
    }

    /// Pebble's issuing root, from its management interface.
    async fn issuing_root(&self) -> String {
        let c = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).unwrap()])
            .build()
            .unwrap();
        c.get(format!("https://127.0.0.1:{}/roots/0", self.mgmt)).send().await.unwrap().text().await.unwrap()
    }
}

/// Starts pebble (validating TLS-ALPN-01 against `tls_port`) and its fake DNS answering 127.0.0.1.
fn start_pebble(dir: &Path, tls_port: u16) -> Pebble {
    for bin in ["pebble", "pebble-challtestsrv"] {
        assert!(
            Command::new("sh").arg("-c").arg(format!("command -v {bin}")).status().unwrap().success(),
            "{bin} is not installed: apt-get install pebble"
        );
    }
    install_crypto();
    let ca = ca("pebble listener CA");
    let (cert, key) = leaf(&ca, &["127.0.0.1", "localhost"], 1, 30);
    std::fs::write(dir.join("pebble.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("pebble.key"), key.serialize_pem()).unwrap();
    let (listen, mgmt, dns, dns_mgmt, http) =
        (free_port(), free_port(), free_port(), free_port(), free_port());
    let config = serde_json::json!({ "pebble": {
        "listenAddress": format!("127.0.0.1:{listen}"),
        "managementListenAddress": format!("127.0.0.1:{mgmt}"),
        "certificate": dir.join("pebble.pem"), "privateKey": dir.join("pebble.key"),
        "httpPort": http, "tlsPort": tls_port, "ocspResponderURL": "", "externalAccountBindingRequired": false,
    }});
    std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
    let log = |name: &str| std::fs::File::create(dir.join(name)).unwrap();
    let dns_proc = Command::new("pebble-challtestsrv")
        .args([
            "-defaultIPv4",
            "127.0.0.1",
            "-defaultIPv6",
            "",
            "-http01",
            "",
            "-https01",
            "",
            "-tlsalpn01",
            "",
        ])
        .args(["-dns01", &format!("127.0.0.1:{dns}"), "-management", &format!("127.0.0.1:{dns_mgmt}")])
        .stdout(log("challtestsrv.log"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pebble = Command::new("pebble")
        .arg("-config")
        .arg(dir.join("pebble.json"))
        .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .stdout(log("pebble.log"))
        .stderr(log("pebble.err"))
        .spawn()
        .unwrap();
    procs::wait_port(listen, true, Duration::from_secs(20));
    procs::wait_port(mgmt, true, Duration::from_secs(20));
    Pebble { procs: vec![dns_proc, pebble], dir: listen.to_string(), mgmt, ca_pem: ca.cert.pem() }
}

async fn wait_for_acme_cert(https: u16, domain: &str, root: &str, server: &Server, dir: &Path) -> Vec<u8> {
    let t0 = Instant::now();
    loop {
        match peer_cert(https, domain, root).await {
            Ok(c) => return c,
            Err(e) => assert!(
                t0.elapsed() < Duration::from_secs(60),
                "no certificate from pebble: {e}\nserver log:\n{}\npebble log:\n{}",
                server.log_text(),
                std::fs::read_to_string(dir.join("pebble.log")).unwrap_or_default()
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn acme_obtains_and_renews_a_certificate_from_pebble() {
    let dir = TempDir::new("acme");
    let https = free_port();
    let pebble = start_pebble(dir.path(), https);
    let domain = "acme.misskey-rs.test";
    let db = TestDb::new("acme");
    let config = dir.path().join("c.toml");
    let url = format!("https://{domain}:{https}");
    let hl = format!("127.0.0.1:{https}");
    let data = dir.path().join("data");
    let (ok, out, err) = run(&[
        "--config",
        config.to_str().unwrap(),
        "--set",
        "http.redirect_listen=\"\"",
        "init",
        "--yes",
        "--domain",
        domain,
        "--url",
        &url,
        "--tls",
        "acme",
        "--acme-email",
        "admin@misskey-rs.test",
        "--acme-directory",
        &pebble.directory(),
        "--acme-ca-file",
        dir.path().join("pebble-ca.pem").to_str().unwrap(),
        "--https-listen",
        &hl,
        "--data-dir",
        data.to_str().unwrap(),
        "--db-url",
        &db.url,
        "--setup-token",
    ]);
    // The CA file is checked when serving, not by init; write it now.
    std::fs::write(dir.path().join("pebble-ca.pem"), &pebble.ca_pem).unwrap();
    assert!(ok, "{out}{err}");

    let server = Server::start(&config, &[], url.clone());
    let root = pebble.issuing_root().await;
    let first = wait_for_acme_cert(https, domain, &root, &server, dir.path()).await;
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(root.as_bytes()).unwrap()])
        .resolve(domain, format!("127.0.0.1:{https}").to_socket_addrs().unwrap().next().unwrap())
        .build()
        .unwrap();
    let r = client.get(format!("{url}/livez")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Give the state machine a moment to write its cache, then stop.
    let cache = data.join("acme");
    let t0 = Instant::now();
    let cached = loop {
        let found = std::fs::read_dir(&cache)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("cached_cert_"));
        if let Some(f) = found {
            break f.path();
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "certificate not cached");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(server.stop().success());
    let (ok, out, _) = run(&["--config", config.to_str().unwrap(), "doctor"]);
    assert!(out.contains("tls: Acme, certificate expires in"), "{ok} {out}");

    // Replace the cached certificate with one two thirds through its life: on start the server
    // serves it, sees renewal is due, and gets a new one from pebble in the background.
    let other = ca("stale issuer");
    let (stale, stale_key) = leaf(&other, &[domain], 60, 5);
    std::fs::write(&cached, format!("{}{}", stale_key.serialize_pem(), stale.pem())).unwrap();
    let server = Server::start(&config, &[], url.clone());
    let t0 = Instant::now();
    let stale_seen = loop {
        match peer_cert(https, domain, &other.cert.pem()).await {
            Ok(c) => break Some(c),
            Err(_) if t0.elapsed() > Duration::from_secs(5) => break None,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let renewed = wait_for_acme_cert(https, domain, &root, &server, dir.path()).await;
    assert_ne!(renewed, first, "a new certificate was issued");
    if let Some(s) = stale_seen {
        assert_eq!(s, stale.der().to_vec());
    }
    let log = server.log_text();
    assert!(log.contains("DeployedCachedCert") && log.contains("DeployedNewCert"), "{log}");
    assert!(server.stop().success());
}
