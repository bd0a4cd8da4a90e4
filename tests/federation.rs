//! ActivityPub as other servers see this one: discovery (WebFinger, host-meta, NodeInfo), actors,
//! notes and collections with content negotiation, what an anonymous fetch must never see, and
//! HTTP Signatures checked against another implementation (Node's crypto).

mod common;
use common::*;
use misskey_rs::ap::signature::{self, Incoming, PublicKey, Signer};
use serde_json::{json, Value};

async fn fetch(url: &str, accept: &str) -> (u16, String, Value) {
    let r = client().get(url).header("accept", accept).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = r.text().await.unwrap();
    (status, ct, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

const AP: &str = "application/activity+json";
const LD: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

#[tokio::test]
async fn discovery_actors_notes_and_collections() {
    let inst = Instance::init("fed_objects").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    // Ids are made from the configured public URL, which carries the port.
    let url = b.replace("127.0.0.1", "localhost");
    let host = url.trim_start_matches("http://").to_string();
    let (alice, alice_token) = user(b, &admin, "alice").await;

    // WebFinger: acct with the port, profile URL, actor URL; XRD when asked; refusals.
    let (s, ct, jrd) = fetch(&format!("{b}/.well-known/webfinger?resource=acct:alice@{host}"), "*/*").await;
    assert_eq!(s, 200, "{jrd}");
    assert!(ct.starts_with("application/jrd+json"), "{ct}");
    assert_eq!(jrd["subject"], format!("acct:alice@{host}"));
    let actor_url = format!("{url}/users/{alice}");
    assert_eq!(jrd["links"][0], json!({ "rel": "self", "type": AP, "href": actor_url }));
    for resource in [format!("{url}/@alice"), actor_url.clone()] {
        let (s, _, j) = fetch(&format!("{b}/.well-known/webfinger?resource={resource}"), "*/*").await;
        assert_eq!((s, j["subject"].clone()), (200, json!(format!("acct:alice@{host}"))), "{resource}");
    }
    let (s, ct, xrd) =
        fetch(&format!("{b}/.well-known/webfinger?resource=acct:alice@{host}"), "application/xrd+xml").await;
    assert!(s == 200 && ct.contains("xrd+xml") && xrd.as_str().unwrap().contains(&actor_url), "{xrd}");
    for (q, want) in [
        ("resource=acct:nobody@{host}", 404),
        ("resource=acct:alice@elsewhere.example", 404),
        ("resource=acct:alice@localhost", 404),
        ("", 400),
    ] {
        let (s, _, _) =
            fetch(&format!("{b}/.well-known/webfinger?{}", q.replace("{host}", &host)), "*/*").await;
        assert_eq!(s, want, "{q}");
    }
    let (s, _, hm) = fetch(&format!("{b}/.well-known/host-meta"), "*/*").await;
    assert!(s == 200 && hm.as_str().unwrap().contains("/.well-known/webfinger?resource={uri}"), "{hm}");
    let (s, _, hm) = fetch(&format!("{b}/.well-known/host-meta.json"), "*/*").await;
    assert_eq!((s, hm["links"][0]["rel"].as_str()), (200, Some("lrdd")));

    // NodeInfo: the links, then both versions shaped as their schemas require.
    let (_, _, links) = fetch(&format!("{b}/.well-known/nodeinfo"), "*/*").await;
    assert_eq!(links["links"][0]["href"], format!("{url}/nodeinfo/2.1"));
    for version in ["2.0", "2.1"] {
        let (s, ct, ni) = fetch(&format!("{b}/nodeinfo/{version}"), "*/*").await;
        assert_eq!(s, 200);
        assert!(ct.contains(&format!("schema/{version}#")), "{ct}");
        assert_eq!(ni["version"], version);
        assert_eq!(ni["software"]["name"], "misskey-rs");
        let v = ni["software"]["version"].as_str().unwrap();
        assert!(v.split('.').take(3).all(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty()), "{v}");
        assert_eq!(ni["protocols"], json!(["activitypub"]));
        assert!(ni["services"]["inbound"].is_array() && ni["services"]["outbound"].is_array());
        assert!(ni["openRegistrations"].is_boolean());
        let users = &ni["usage"]["users"];
        assert_eq!(users["total"], 2, "admin and alice (not the instance actor): {ni}");
        assert!(users["activeMonth"].is_u64() && users["activeHalfyear"].is_u64(), "{ni}");
        assert!(ni["usage"]["localPosts"].is_u64());
        assert!(ni["metadata"].is_object());
        assert!(ni.get("homepage").is_none());
        assert_eq!(ni["software"].get("repository").is_some(), version == "2.1");
    }

    // The actor, by id and by @name, as ActivityStreams; HTML for browsers.
    for path in [format!("/users/{alice}"), "/@alice".to_string(), format!("/@alice@{host}")] {
        for accept in [AP, LD] {
            let (s, ct, p) = fetch(&format!("{b}{path}"), accept).await;
            assert_eq!(s, 200, "{path}: {p}");
            assert!(ct.starts_with("application/activity+json"), "{ct}");
            assert_eq!(p["id"], actor_url);
            assert_eq!(p["type"], "Person");
            assert_eq!(p["preferredUsername"], "alice");
            assert_eq!(p["inbox"], format!("{actor_url}/inbox"));
            assert_eq!(p["endpoints"]["sharedInbox"], format!("{url}/inbox"));
            assert_eq!(p["publicKey"]["id"], format!("{actor_url}#main-key"));
            assert_eq!(p["publicKey"]["owner"], actor_url);
            PublicKey::from_pem(p["publicKey"]["publicKeyPem"].as_str().unwrap()).expect("a usable RSA key");
            assert_eq!(p["@context"][0], "https://www.w3.org/ns/activitystreams");
        }
    }
    let (s, ct, page) = fetch(&format!("{b}/@alice"), "text/html").await;
    assert!(s == 200 && ct.starts_with("text/html") && page.as_str().unwrap().contains(&actor_url), "{ct}");
    assert_eq!(fetch(&format!("{b}/@nobody"), AP).await.0, 404);
    assert_eq!(fetch(&format!("{b}/@alice@elsewhere.example"), AP).await.0, 404);

    // Profile details reach the actor.
    let (s, r) = call(
        b,
        "i/update",
        &alice_token,
        json!({ "name": "Alice", "description": "hi #rustacean", "isLocked": true, "isCat": true,
                "fields": [{ "name": "site", "value": "https://alice.example" }] }),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (_, _, p) = fetch(&format!("{b}/users/{alice}"), AP).await;
    assert_eq!(
        (p["name"].as_str(), p["_misskey_summary"].as_str()),
        (Some("Alice"), Some("hi #rustacean")),
        "{p}"
    );
    assert!(p["summary"].as_str().unwrap().contains("rustacean"));
    assert_eq!(p["tag"][0]["type"], "Hashtag");
    assert_eq!((p["manuallyApprovesFollowers"].clone(), p["isCat"].clone()), (json!(true), json!(true)));
    assert_eq!(p["attachment"][0]["name"], "site");

    // Notes: a public one with a mention, a hashtag and a quote; a reply; a poll; a renote.
    let post = |body: Value| {
        let t = alice_token.clone();
        async move {
            let (s, r) = call(b, "notes/create", &t, body).await;
            assert_eq!(s, 200, "{r}");
            r["createdNote"]["id"].as_str().unwrap().to_string()
        }
    };
    let first = post(json!({ "text": "first **post**" })).await;
    let quote = post(json!({ "text": "hey @admin look #Rust", "renoteId": first })).await;
    let reply = post(json!({ "text": "a reply", "replyId": first, "visibility": "home" })).await;
    let poll = post(json!({ "text": "pick", "poll": { "choices": ["a", "b"], "multiple": true } })).await;
    let renote = post(json!({ "renoteId": first })).await;
    let followers_only = post(json!({ "text": "secret", "visibility": "followers" })).await;
    let specified = post(json!({ "text": "dm", "visibility": "specified", "visibleUserIds": [] })).await;
    let local_only = post(json!({ "text": "here only", "localOnly": true })).await;

    let (s, _, n) = fetch(&format!("{b}/notes/{quote}"), AP).await;
    assert_eq!(s, 200, "{n}");
    assert_eq!(n["type"], "Note");
    assert_eq!(n["id"], format!("{url}/notes/{quote}"));
    assert_eq!(n["attributedTo"], actor_url);
    assert_eq!(n["_misskey_content"], "hey @admin look #Rust");
    assert_eq!(n["source"]["mediaType"], "text/x.misskeymarkdown");
    assert_eq!(n["_misskey_quote"], format!("{url}/notes/{first}"));
    assert_eq!(n["quoteUrl"], n["_misskey_quote"]);
    assert!(n["content"].as_str().unwrap().contains("quote-inline"), "{n}");
    assert_eq!(n["to"], json!(["https://www.w3.org/ns/activitystreams#Public"]));
    assert_eq!(n["cc"][0], format!("{actor_url}/followers"));
    let tags = n["tag"].as_array().unwrap();
    assert!(tags.iter().any(|t| t["type"] == "Mention" && t["name"] == format!("@admin@{host}")), "{n}");
    assert!(tags.iter().any(|t| t["type"] == "Hashtag" && t["name"] == "#rust"), "{n}");

    let (_, _, n) = fetch(&format!("{b}/notes/{first}"), AP).await;
    assert!(n["content"].as_str().unwrap().contains("<b>post</b>"), "MFM rendered to HTML: {n}");
    assert!(n.get("_misskey_quote").is_none());
    let (_, _, r) = fetch(&format!("{b}/notes/{reply}"), AP).await;
    assert_eq!(r["inReplyTo"], format!("{url}/notes/{first}"));
    assert_eq!(r["to"], json!([format!("{actor_url}/followers")]), "home: to followers");
    assert_eq!(r["cc"][0], "https://www.w3.org/ns/activitystreams#Public");
    let (_, _, q) = fetch(&format!("{b}/notes/{poll}"), AP).await;
    assert_eq!(q["type"], "Question");
    assert_eq!(
        q["anyOf"][1],
        json!({ "type": "Note", "name": "b", "replies": { "type": "Collection", "totalItems": 0 } })
    );
    let (_, _, c) = fetch(&format!("{b}/notes/{first}/activity"), AP).await;
    assert_eq!(
        (c["type"].as_str(), c["id"].clone()),
        (Some("Create"), json!(format!("{url}/notes/{first}/activity")))
    );
    assert_eq!(c["object"]["id"], format!("{url}/notes/{first}"));
    let (_, _, a) = fetch(&format!("{b}/notes/{renote}/activity"), AP).await;
    assert_eq!(
        (a["type"].as_str(), a["object"].clone()),
        (Some("Announce"), json!(format!("{url}/notes/{first}")))
    );
    assert_eq!(
        fetch(&format!("{b}/notes/{renote}"), AP).await.0,
        404,
        "a renote is an activity, not an object"
    );

    // Never to an anonymous fetch: followers-only, specified and local-only notes.
    for id in [&followers_only, &specified, &local_only] {
        for path in [format!("/notes/{id}"), format!("/notes/{id}/activity")] {
            let (s, _, body) = fetch(&format!("{b}{path}"), AP).await;
            assert_eq!(s, 404, "{path}: {body}");
        }
        // A browser gets the web UI, which asks the API as its reader; the page itself says nothing.
        let (s, ct, page) = fetch(&format!("{b}/notes/{id}"), "text/html").await;
        let page = page.as_str().unwrap_or_default().to_string();
        assert!(s == 200 && ct.starts_with("text/html") && !page.contains("og:description"), "{page}");
    }
    assert_eq!(fetch(&format!("{b}/notes/nosuchnote"), AP).await.0, 404);

    // The outbox: its count, then a page of activities without the hidden notes.
    let (_, _, o) = fetch(&format!("{b}/users/{alice}/outbox"), AP).await;
    assert_eq!(o["type"], "OrderedCollection");
    assert_eq!(o["totalItems"], 5, "{o}");
    let (_, _, page) = fetch(o["first"].as_str().unwrap().replace(&url, b).as_str(), AP).await;
    let items = page["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{page}");
    assert_eq!(items[0]["type"], "Announce");
    assert!(items.iter().all(|i| !i.to_string().contains("secret") && !i.to_string().contains("here only")));
    assert!(page.get("next").is_none());

    // Follow lists by their owner's choice; pinned notes.
    call(b, "following/create", &admin, json!({ "userId": alice })).await;
    let (s, r) =
        call(b, "following/requests/accept", &alice_token, json!({ "userId": admin_id(b, &admin).await }))
            .await;
    assert_eq!(s, 204, "{r}");
    let (_, _, f) = fetch(&format!("{b}/users/{alice}/followers?page=true"), AP).await;
    assert_eq!(f["orderedItems"].as_array().map(Vec::len), Some(1), "{f}");
    call(b, "i/update", &alice_token, json!({ "followersVisibility": "followers" })).await;
    assert_eq!(fetch(&format!("{b}/users/{alice}/followers"), AP).await.0, 403);
    assert_eq!(fetch(&format!("{b}/users/{alice}/following"), AP).await.0, 200);
    call(b, "i/pin", &alice_token, json!({ "noteId": first })).await;
    call(b, "i/pin", &alice_token, json!({ "noteId": followers_only })).await;
    let (_, _, feat) = fetch(&format!("{b}/users/{alice}/collections/featured"), AP).await;
    assert_eq!(feat["totalItems"], 1, "the followers-only pin is not shown: {feat}");
    assert_eq!(feat["orderedItems"][0]["id"], format!("{url}/notes/{first}"));

    // A suspended account is gone for other servers.
    let (ok, _, err) = inst.cli(&["admin", "user", "suspend", "--username", "alice"]);
    assert!(ok, "{err}");
    assert_eq!(fetch(&format!("{b}/users/{alice}"), AP).await.0, 404);
    assert_eq!(fetch(&format!("{b}/notes/{first}"), AP).await.0, 404);
    let (s, _, _) = fetch(&format!("{b}/.well-known/webfinger?resource=acct:alice@{host}"), "*/*").await;
    assert_eq!(s, 404);
    server.stop();
}

async fn admin_id(b: &str, admin: &str) -> String {
    let (_, me) = call(b, "i", admin, json!({})).await;
    me["id"].as_str().unwrap().to_string()
}

/// Signatures made here verify with Node's crypto, and Node's verify here.
#[test]
fn signatures_agree_with_another_implementation() {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let dir = TempDir::new("fed_sig");
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let body = br#"{"type":"Follow"}"#;
    let date = signature::http_date(chrono::Utc::now());
    let digest = signature::digest(body);
    let header = Signer::new(&private_pem, "https://a.example/users/1#main-key").unwrap().sign(
        "POST",
        "/users/9/inbox",
        &[("host", "b.example"), ("date", &date), ("digest", &digest)],
    );
    let script = r#"
const crypto = require('node:crypto');
const fs = require('node:fs');
const [pub, header, date, digest, body] = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
const sig = /signature="([^"]+)"/.exec(header)[1];
const text = `(request-target): post /users/9/inbox\nhost: b.example\ndate: ${date}\ndigest: ${digest}`;
const bodyDigest = 'SHA-256=' + crypto.createHash('sha256').update(body).digest('base64');
const ok = crypto.verify('sha256', Buffer.from(text), pub, Buffer.from(sig, 'base64'));
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const theirs = crypto.sign('sha256', Buffer.from(text), privateKey).toString('base64');
console.log(JSON.stringify({ ok, digestOk: bodyDigest === digest, theirs,
  pub: publicKey.export({ type: 'spki', format: 'pem' }) }));
"#;
    let input = dir.path().join("in.json");
    std::fs::write(
        &input,
        serde_json::to_string(&json!([public_pem, header, date, digest, std::str::from_utf8(body).unwrap()]))
            .unwrap(),
    )
    .unwrap();
    let out =
        std::process::Command::new("node").args(["-e", script, input.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["digestOk"].as_bool()),
        (Some(true), Some(true)),
        "Node accepts ours: {v}"
    );

    // Node's signature over the same request verifies here.
    let their_header = format!(
        "keyId=\"https://c.example/actor#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        v["theirs"].as_str().unwrap()
    );
    let headers = [
        ("host", "b.example".to_string()),
        ("date", date.clone()),
        ("digest", digest.clone()),
        ("signature", their_header),
    ];
    let lookup = |h: &str| headers.iter().find(|(k, _)| *k == h).map(|(_, v)| v.clone());
    let req = Incoming { method: "POST", target: "/users/9/inbox", header: &lookup, body: Some(body) };
    let parsed = signature::precheck(&req, chrono::Utc::now()).unwrap();
    let key = PublicKey::from_pem(v["pub"].as_str().unwrap()).unwrap();
    assert_eq!(signature::verify(&parsed, &req, &key), Ok(()));
    let other = PublicKey::from_pem(&public_pem).unwrap();
    assert!(signature::verify(&parsed, &req, &other).is_err());
}
