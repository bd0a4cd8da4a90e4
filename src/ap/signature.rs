//! HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures-12 with
//! `rsa-sha256`, and `hs2019` read as the same): signing outgoing requests, parsing and
//! verifying incoming ones, and the `Digest` header. Keys are RSA: PKCS#8 private keys and
//! SPKI public keys in PEM, as every user's key pair is stored.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use ring::signature::{RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use sha2::{Digest, Sha256};

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("no Signature header")]
    Missing,
    #[error("the request is signed with RFC 9421 (Signature-Input), which this server does not verify")]
    Rfc9421,
    #[error("malformed Signature header: {0}")]
    Malformed(&'static str),
    #[error("unsupported signature algorithm {0}")]
    Algorithm(String),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the signed header {0} is missing from the request")]
    HeaderMissing(String),
    #[error("the Date header is unreadable or too far from now")]
    Date,
    #[error("the Digest header does not match the body")]
    Digest,
    #[error("unusable public key")]
    Key,
    #[error("the signature does not verify")]
    Invalid,
}

/// A private key ready to sign with.
pub struct Signer {
    key: RsaKeyPair,
    pub key_id: String,
}

impl Signer {
    /// From a PKCS#8 PEM private key and the key's id (`…/users/<id>#main-key`).
    pub fn new(private_pem: &str, key_id: &str) -> Result<Self, SigError> {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).map_err(|_| SigError::Key)?;
        let der = key.to_pkcs8_der().map_err(|_| SigError::Key)?;
        let key = RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|_| SigError::Key)?;
        Ok(Signer { key, key_id: key_id.to_string() })
    }

    /// The `Signature` header value over `headers` (lower-case names with their values, in
    /// the order they are signed; `(request-target)` is made from `method` and `target`).
    pub fn sign(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> String {
        let mut text = format!("(request-target): {} {}", method.to_ascii_lowercase(), target);
        for (name, value) in headers {
            text.push_str(&format!("\n{name}: {value}"));
        }
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        let rng = ring::rand::SystemRandom::new();
        // Signing with a well-formed key into a buffer of the modulus' length cannot fail.
        let _ = self.key.sign(&RSA_PKCS1_SHA256, &rng, text.as_bytes(), &mut sig);
        let names: Vec<&str> =
            std::iter::once("(request-target)").chain(headers.iter().map(|h| h.0)).collect();
        format!(
            "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            self.key_id,
            names.join(" "),
            B64.encode(sig)
        )
    }
}

/// A public key ready to verify with.
#[derive(Clone)]
pub struct PublicKey(Vec<u8>);

impl PublicKey {
    /// From an SPKI PEM public key (`publicKeyPem` of an actor).
    pub fn from_pem(pem: &str) -> Result<Self, SigError> {
        let key = rsa::RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|_| SigError::Key)?;
        let der = key.to_pkcs1_der().map_err(|_| SigError::Key)?;
        Ok(PublicKey(der.as_bytes().to_vec()))
    }

    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.0).verify(text, sig).is_ok()
    }
}

/// `SHA-256=<base64>` of a body.
pub fn digest(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(Sha256::digest(body)))
}

/// An HTTP date (`Thu, 03 Dec 2026 06:31:41 GMT`).
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub key_id: String,
    /// Lower-case header names in signing order.
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
}

/// Reads a `Signature` header (`keyId="…",algorithm="…",headers="…",signature="…"`).
pub fn parse(header: &str) -> Result<Parsed, SigError> {
    let (mut key_id, mut algorithm, mut headers, mut signature) = (None, None, None, None);
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').ok_or(SigError::Malformed("a parameter without a value"))?;
        let after = after.trim_start();
        let value;
        if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').ok_or(SigError::Malformed("an unterminated quoted value"))?;
            value = &quoted[..end];
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = after.find(',').unwrap_or(after.len());
            value = after[..end].trim();
            rest = &after[end..];
        }
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        match name.trim().to_ascii_lowercase().as_str() {
            "keyid" => key_id = Some(value.to_string()),
            "algorithm" => algorithm = Some(value.to_ascii_lowercase()),
            "headers" => headers = Some(value.to_ascii_lowercase()),
            "signature" => signature = Some(value.to_string()),
            _ => {}
        }
    }
    if let Some(a) = algorithm {
        if a != "rsa-sha256" && a != "hs2019" {
            return Err(SigError::Algorithm(a));
        }
    }
    let key_id = key_id.filter(|k| !k.is_empty()).ok_or(SigError::Malformed("no keyId"))?;
    let signature = B64
        .decode(signature.ok_or(SigError::Malformed("no signature"))?)
        .map_err(|_| SigError::Malformed("the signature is not base64"))?;
    // Without a list, only Date is signed (the draft's default).
    let headers = headers.unwrap_or_else(|| "date".into()).split_whitespace().map(str::to_string).collect();
    Ok(Parsed { key_id, headers, signature })
}

/// An incoming request as verification needs it.
pub struct Incoming<'a> {
    pub method: &'a str,
    /// Path and query as received.
    pub target: &'a str,
    /// Header lookup by lower-case name (several values joined with ", ").
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// The raw body, for POSTs.
    pub body: Option<&'a [u8]>,
}

/// How far a request's Date may be from now: behind (queues and retries), ahead (clock skew).
pub const DATE_BEHIND: chrono::Duration = chrono::Duration::hours(1);
pub const DATE_AHEAD: chrono::Duration = chrono::Duration::minutes(5);

/// Checks what an accepted request must carry before any key is looked up: a draft-cavage
/// signature over `(request-target)`, `host`, `date` (and `digest` with a body), a recent Date,
/// and a Digest that matches the body. Returns the parsed signature.
pub fn precheck(req: &Incoming, now: DateTime<Utc>) -> Result<Parsed, SigError> {
    let header = (req.header)("signature").or_else(|| {
        (req.header)("authorization").and_then(|a| a.strip_prefix("Signature ").map(str::to_string))
    });
    let Some(header) = header else {
        return Err(if (req.header)("signature-input").is_some() {
            SigError::Rfc9421
        } else {
            SigError::Missing
        });
    };
    if (req.header)("signature-input").is_some() {
        return Err(SigError::Rfc9421);
    }
    let parsed = parse(&header)?;
    let covers = |h: &str| parsed.headers.iter().any(|x| x == h);
    for (h, name) in [("(request-target)", "(request-target)"), ("host", "host"), ("date", "date")] {
        if !covers(h) {
            return Err(SigError::NotCovered(name));
        }
    }
    let date = (req.header)("date").ok_or_else(|| SigError::HeaderMissing("date".into()))?;
    let date = DateTime::parse_from_rfc2822(&date).map_err(|_| SigError::Date)?.with_timezone(&Utc);
    if date < now - DATE_BEHIND || date > now + DATE_AHEAD {
        return Err(SigError::Date);
    }
    if let Some(body) = req.body {
        if !covers("digest") {
            return Err(SigError::NotCovered("digest"));
        }
        let sent = (req.header)("digest").ok_or_else(|| SigError::HeaderMissing("digest".into()))?;
        // Several digests may be listed; the SHA-256 one must be there and match.
        let want = digest(body);
        let ok = sent.split(',').map(str::trim).any(|d| {
            d.split_once('=')
                .is_some_and(|(alg, v)| alg.eq_ignore_ascii_case("sha-256") && format!("SHA-256={v}") == want)
        });
        if !ok {
            return Err(SigError::Digest);
        }
    }
    Ok(parsed)
}

/// The string the signature covers, rebuilt from the request.
pub fn signing_string(parsed: &Parsed, req: &Incoming) -> Result<String, SigError> {
    let mut lines = Vec::with_capacity(parsed.headers.len());
    for h in &parsed.headers {
        let value = match h.as_str() {
            "(request-target)" => format!("{} {}", req.method.to_ascii_lowercase(), req.target),
            name => (req.header)(name).ok_or_else(|| SigError::HeaderMissing(name.to_string()))?,
        };
        lines.push(format!("{h}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// Verifies a prechecked request's signature with the signer's key.
pub fn verify(parsed: &Parsed, req: &Incoming, key: &PublicKey) -> Result<(), SigError> {
    let text = signing_string(parsed, req)?;
    if key.verify(text.as_bytes(), &parsed.signature) {
        Ok(())
    } else {
        Err(SigError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn keys() -> (String, String) {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let public = private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
        (public, private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string())
    }

    struct Req {
        headers: HashMap<String, String>,
        body: Vec<u8>,
    }

    fn signed(private: &str, body: &[u8], date: DateTime<Utc>) -> Req {
        let signer = Signer::new(private, "https://a.example/users/1#main-key").unwrap();
        let (date, digest) = (http_date(date), digest(body));
        let sig = signer.sign(
            "POST",
            "/inbox",
            &[
                ("host", "b.example"),
                ("date", &date),
                ("digest", &digest),
                ("content-type", "application/activity+json"),
            ],
        );
        let headers = [
            ("host", "b.example".to_string()),
            ("date", date),
            ("digest", digest),
            ("content-type", "application/activity+json".into()),
            ("signature", sig),
        ];
        Req { headers: headers.into_iter().map(|(k, v)| (k.to_string(), v)).collect(), body: body.to_vec() }
    }

    fn check(req: &Req, public: &str, now: DateTime<Utc>) -> Result<(), SigError> {
        let lookup = |h: &str| req.headers.get(h).cloned();
        let inc = Incoming { method: "POST", target: "/inbox", header: &lookup, body: Some(&req.body) };
        let parsed = precheck(&inc, now)?;
        assert_eq!(parsed.key_id, "https://a.example/users/1#main-key");
        verify(&parsed, &inc, &PublicKey::from_pem(public)?)
    }

    #[test]
    fn a_signed_post_verifies_and_every_tampering_is_caught() {
        let (public, private) = keys();
        let now = Utc::now();
        let body = br#"{"type":"Create"}"#;
        let good = signed(&private, body, now);
        assert_eq!(check(&good, &public, now), Ok(()));

        let mut r = signed(&private, body, now);
        r.body = br#"{"type":"Delete"}"#.to_vec();
        assert_eq!(check(&r, &public, now), Err(SigError::Digest), "tampered body");

        let mut r = signed(&private, body, now);
        r.headers.insert("host".into(), "c.example".into());
        assert_eq!(check(&r, &public, now), Err(SigError::Invalid), "another host");

        let r = signed(&private, body, now - chrono::Duration::hours(2));
        assert_eq!(check(&r, &public, now), Err(SigError::Date), "replayed old request");
        let r = signed(&private, body, now + chrono::Duration::minutes(30));
        assert_eq!(check(&r, &public, now), Err(SigError::Date), "date in the future");

        let (other_public, _) = keys();
        assert_eq!(check(&good, &other_public, now), Err(SigError::Invalid), "wrong key");

        let mut r = signed(&private, body, now);
        r.headers.remove("signature");
        assert_eq!(check(&r, &public, now), Err(SigError::Missing));
        r.headers.insert("signature-input".into(), "sig1=(\"@method\")".into());
        assert_eq!(check(&r, &public, now), Err(SigError::Rfc9421));

        let mut r = signed(&private, body, now);
        let sig = r.headers["signature"]
            .replace("headers=\"(request-target) host date digest", "headers=\"(request-target) host date");
        r.headers.insert("signature".into(), sig);
        assert_eq!(check(&r, &public, now), Err(SigError::NotCovered("digest")), "body not covered");
    }

    #[test]
    fn signature_headers_parse_leniently_but_refuse_garbage() {
        let p =
            parse(r#"keyId="k",algorithm="hs2019",headers="(request-target) Host date",signature="AAAA""#)
                .unwrap();
        assert_eq!(p.headers, ["(request-target)", "host", "date"]);
        assert_eq!(parse(r#"keyId="k", signature="AAAA""#).unwrap().headers, ["date"]);
        assert!(matches!(
            parse(r#"keyId="k",algorithm="ed25519",signature="AAAA""#),
            Err(SigError::Algorithm(_))
        ));
        assert!(parse(r#"keyId="k",signature="not base64!""#).is_err());
        assert!(parse(r#"signature="AAAA""#).is_err());
        assert!(parse(r#"keyId="unterminated"#).is_err());
        assert!(parse("").is_err());
        assert!(parse("=,=,=").is_err());
    }
}
