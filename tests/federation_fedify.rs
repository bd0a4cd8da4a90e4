//! Federation with an ActivityPub implementation this project did not write: a Fedify server
//! (tests/fedify/peer.mjs, Fedify 1.10 from npm on Node 22 from npm) follows a misskey-rs user
//! and gets Accept, receives her note and her reaction, and sends a note and a Like that
//! misskey-rs stores. Fedify verifies every activity misskey-rs sends with its own HTTP
//! Signature verifier; misskey-rs verifies Fedify's.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

#[tokio::test]
async fn a_fedify_peer_federates_with_misskey_rs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fedify");
    if !dir.join("node_modules/@fedify/fedify").exists() || !dir.join("node_modules/.bin/node").exists() {
        let ok = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).status();
        assert!(ok.is_ok_and(|s| s.success()), "npm ci in tests/fedify failed");
    }
    let inst = Instance::init("fed_fedify").without_rate_limits().federating();
    let (server, admin) = serve_signed_in(&inst).await;
    let (alice_id, alice) = user(&server.base, &admin, "alice").await;
    let alice_uri = format!("http://{}/users/{alice_id}", inst.host());
    let port = free_port().to_string();
    let (base, token) = (server.base.clone(), alice.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(dir.join("node_modules/.bin/node"))
            .arg(dir.join("peer.mjs"))
            .args([&port, &base, &alice, &alice_uri])
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let r: Value = serde_json::from_str(last).unwrap_or_else(|_| {
        panic!(
            "no result from the Fedify peer:\n{stdout}\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            server.log_text()
        )
    });
    assert!(r.get("error").is_none(), "{r}\n{}", server.log_text());
    assert_eq!(r["aliceResolved"], true, "{r}");
    assert_eq!(r["accepted"], true, "{r}");
    assert!(r["noteReceived"].as_str().is_some_and(|c| c.contains("<b>fedify</b>")), "{r}");
    assert_eq!(r["noteStored"], "hi from fedify", "{r}");
    assert_eq!(r["likeReceived"], "👍", "{r}");
    assert_eq!(r["likeStored"].as_object().map(|o| o.len()), Some(1), "{r}");
    let (_, n) = call(&server.base, "i/notifications", &token, json!({})).await;
    let types: Vec<&str> = n.as_array().unwrap().iter().filter_map(|x| x["type"].as_str()).collect();
    assert!(types.contains(&"follow") && types.contains(&"reaction"), "{n}");
    server.stop();
}
