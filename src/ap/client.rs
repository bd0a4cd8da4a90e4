//! The HTTP client that talks to other servers: signed GETs and POSTs, bounded in time, size
//! and redirects, and guarded against server-side request forgery — a URL naming (or a name
//! resolving to) a loopback, private, link-local or otherwise internal address is refused,
//! unless `federation.allow_insecure_peers` is on for development and tests. Hosts the
//! federation policy refuses are refused as well, at every redirect.

use super::signature::{digest, http_date, Signer};
use crate::domain::federation::HostPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Largest ActivityPub document read.
pub const MAX_DOCUMENT: usize = 1024 * 1024;
/// Longest a fetch or delivery may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);
const MAX_REDIRECTS: usize = 3;
/// Longest a file download may take.
pub const FILE_TIMEOUT: Duration = Duration::from_secs(120);
pub const ACCEPT: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The URL or its address is not one this server talks to (will not change on retry).
    #[error("refused: {0}")]
    Refused(String),
    #[error("the server answered {0}")]
    Status(u16),
    #[error("network: {0}")]
    Network(String),
    #[error("the document is larger than {MAX_DOCUMENT} bytes")]
    TooLarge,
    #[error("not a JSON document: {0}")]
    NotJson(String),
}

impl FetchError {
    /// Whether trying again later may succeed.
    pub fn transient(&self) -> bool {
        match self {
            FetchError::Network(_) => true,
            FetchError::Status(s) => *s >= 500 || *s == 429 || *s == 408,
            _ => false,
        }
    }
}

/// Addresses no fetch may reach unless insecure peers are allowed.
pub fn internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_ip(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

/// Resolves names and drops internal addresses (unless allowed), so that no name — however it
/// resolves, after however many redirects — reaches an internal service.
struct GuardedResolver {
    insecure: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let insecure = self.insecure;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| insecure || !internal_ip(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// `host[:port]` of a URL (the port only when it is not the scheme's default).
pub fn authority(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// The checks every URL passes before it is fetched, and again at each redirect.
#[derive(Clone)]
struct Guard {
    insecure: bool,
    /// A policy of its own (tests), or none for the running one.
    policy: Option<HostPolicy>,
}

impl Guard {
    fn check(&self, url: &reqwest::Url) -> Result<(), FetchError> {
        match url.scheme() {
            "https" => {}
            "http" if self.insecure => {}
            s => return Err(FetchError::Refused(format!("scheme {s}"))),
        }
        let Some(host) = url.host() else { return Err(FetchError::Refused("no host".into())) };
        if !self.insecure {
            let literal = match host {
                url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
                url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
                url::Host::Domain(_) => None,
            };
            if literal.is_some_and(internal_ip) {
                return Err(FetchError::Refused("an internal address".into()));
            }
        }
        let host = authority(url);
        let allowed = match &self.policy {
            Some(p) => p.allows(&host),
            None => crate::domain::federation::current().allows(&host),
        };
        if !allowed {
            return Err(FetchError::Refused(format!("{host} is not federated with")));
        }
        Ok(())
    }
}

#[derive(Clone)]
pub struct ApClient {
    http: reqwest::Client,
    guard: Guard,
}

impl ApClient {
    pub fn new(insecure: bool, policy: Option<HostPolicy>) -> anyhow::Result<Self> {
        let guard = Guard { insecure, policy };
        let redirect_guard = guard.clone();
        let http = reqwest::Client::builder()
            .tls_certs_only(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .filter_map(|c| reqwest::Certificate::from_der(c).ok()),
            )
            .dns_resolver(Arc::new(GuardedResolver { insecure }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if let Err(e) = redirect_guard.check(attempt.url()) {
                    attempt.error(e.to_string())
                } else {
                    attempt.follow()
                }
            }))
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(format!("misskey-rs/{}", crate::VERSION))
            .build()?;
        Ok(ApClient { http, guard })
    }

    /// Parses and checks a URL this server is about to fetch or post to.
    pub fn url(&self, url: &str) -> Result<reqwest::Url, FetchError> {
        let u = reqwest::Url::parse(url).map_err(|e| FetchError::Refused(format!("bad URL: {e}")))?;
        self.guard.check(&u)?;
        Ok(u)
    }

    fn signed(
        &self,
        method: &str,
        url: &reqwest::Url,
        signer: &Signer,
        digest: Option<&str>,
    ) -> Vec<(String, String)> {
        let host = authority(url);
        let date = http_date(chrono::Utc::now());
        // Misskey signs the path without the query; so do peers that expect its requests.
        let target = url.path().to_string();
        let mut signed: Vec<(&str, &str)> = vec![("host", &host), ("date", &date)];
        if let Some(d) = digest {
            signed.push(("digest", d));
        }
        let signature = signer.sign(method, &target, &signed);
        let mut headers = vec![("date".to_string(), date.clone()), ("signature".into(), signature)];
        if let Some(d) = digest {
            headers.push(("digest".into(), d.to_string()));
        }
        headers
    }

    /// Fetches an ActivityStreams document, signed by `signer` (the instance actor) when given.
    pub async fn get(&self, url: &str, signer: Option<&Signer>) -> Result<Value, FetchError> {
        let u = self.url(url)?;
        let mut req = self.http.get(u.clone()).header("accept", ACCEPT);
        if let Some(s) = signer {
            for (k, v) in self.signed("GET", &u, s, None) {
                req = req.header(k, v);
            }
        }
        let res = req.send().await.map_err(|e| FetchError::Network(error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(FetchError::Status(res.status().as_u16()));
        }
        let body = read_limited(res, MAX_DOCUMENT).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::NotJson(e.to_string()))
    }

    /// Starts fetching a file (unsigned; no more than [`FILE_TIMEOUT`] in all): the response,
    /// to be read by the caller, once it answered 2xx.
    pub async fn get_file(&self, url: &str) -> Result<reqwest::Response, FetchError> {
        let u = self.url(url)?;
        let res = self
            .http
            .get(u)
            .timeout(FILE_TIMEOUT)
            .send()
            .await
            .map_err(|e| FetchError::Network(error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(FetchError::Status(res.status().as_u16()));
        }
        Ok(res)
    }

    /// Posts an activity to an inbox, signed by `signer`. Ok with the status when it is 2xx.
    pub async fn post(&self, inbox: &str, body: Vec<u8>, signer: &Signer) -> Result<u16, FetchError> {
        let u = self.url(inbox)?;
        let d = digest(&body);
        let mut req =
            self.http.post(u.clone()).header("content-type", "application/activity+json").body(body);
        for (k, v) in self.signed("POST", &u, signer, Some(&d)) {
            req = req.header(k, v);
        }
        let res = req.send().await.map_err(|e| FetchError::Network(error_chain(&e)))?;
        let status = res.status().as_u16();
        if res.status().is_success() {
            Ok(status)
        } else {
            Err(FetchError::Status(status))
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

async fn read_limited(mut res: reqwest::Response, max: usize) -> Result<Vec<u8>, FetchError> {
    if res.content_length().is_some_and(|n| n as usize > max) {
        return Err(FetchError::TooLarge);
    }
    let mut out = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| FetchError::Network(error_chain(&e)))? {
        if out.len() + chunk.len() > max {
            return Err(FetchError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognized() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "255.255.255.255",
        ] {
            assert!(internal_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700::1111"] {
            assert!(!internal_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let strict = ApClient::new(
            false,
            Some(HostPolicy {
                blocked: crate::domain::federation::HostSet::new(["bad.example"]),
                ..Default::default()
            }),
        )
        .unwrap();
        for bad in [
            "http://example.com/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://10.0.0.1:8443/",
            "ftp://example.com/",
            "https://a.bad.example/users/1",
            "not a url",
        ] {
            assert!(matches!(strict.url(bad), Err(FetchError::Refused(_))), "{bad}");
        }
        assert!(strict.url("https://example.com/users/1").is_ok());
        let dev = ApClient::new(true, Some(HostPolicy::default())).unwrap();
        assert!(dev.url("http://127.0.0.1:3939/inbox").is_ok());
    }
}
