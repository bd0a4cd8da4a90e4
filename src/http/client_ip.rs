//! The client's address: the peer, unless the peer is a trusted reverse proxy, in which case the
//! right-most X-Forwarded-For entry that is not itself a trusted proxy.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// The proxies to believe: the configured ones, or, when none are configured and the server
/// listens for plain HTTP on a loopback address only (behind a reverse proxy on the same
/// machine), the loopback addresses.
pub fn trusted_proxies(cfg: &crate::config::Config) -> Vec<IpAddr> {
    let configured: Vec<IpAddr> = cfg.http.trusted_proxies.iter().filter_map(|p| p.parse().ok()).collect();
    if !configured.is_empty() || cfg.tls.mode != crate::config::TlsMode::Off {
        return configured;
    }
    let loopback_only = cfg.http.listen.parse::<std::net::SocketAddr>().is_ok_and(|a| a.ip().is_loopback())
        || cfg.http.listen.starts_with("localhost:");
    if loopback_only {
        vec![IpAddr::from([127, 0, 0, 1]), IpAddr::from(std::net::Ipv6Addr::LOCALHOST)]
    } else {
        vec![]
    }
}

pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let from_header = forwarded.and_then(|h| {
        h.rsplit(',').filter_map(|s| s.trim().parse::<IpAddr>().ok()).find(|ip| !trusted.contains(ip))
    });
    Some(from_header.unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_plain_http_server_on_loopback_believes_its_local_proxy() {
        let cfg = |text: &str| -> crate::config::Config { toml::from_str(text).unwrap() };
        let local =
            cfg("url = \"https://t.example\"\n[tls]\nmode = \"off\"\n[http]\nlisten = \"127.0.0.1:3000\"");
        assert!(trusted_proxies(&local).contains(&"127.0.0.1".parse().unwrap()));
        let open =
            cfg("url = \"https://t.example\"\n[tls]\nmode = \"off\"\n[http]\nlisten = \"0.0.0.0:3000\"");
        assert!(trusted_proxies(&open).is_empty());
        let listed = cfg(
            "url = \"https://t.example\"\n[tls]\nmode = \"off\"\n[http]\nlisten = \"127.0.0.1:3000\"\ntrusted_proxies = [\"10.0.0.1\"]",
        );
        assert_eq!(trusted_proxies(&listed), vec!["10.0.0.1".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "6.6.6.6, 203.0.113.9"))
            .to_http_request();
        assert_eq!(client_ip(&req, &[proxy]), Some("203.0.113.9".parse().unwrap()));
        assert_eq!(client_ip(&req, &[]), Some(proxy));
        let direct = TestRequest::default()
            .peer_addr("198.51.100.7:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .to_http_request();
        assert_eq!(client_ip(&direct, &[proxy]), Some("198.51.100.7".parse().unwrap()));
    }
}
