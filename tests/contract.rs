//! The misskey-js contract: JSON the server sends is type-checked against the entity types of
//! the misskey-js package (pinned in tests/contract/package.json), the definitions every
//! Misskey client is written against. Missing fields, wrong types and extra fields all fail.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Runs tests/contract/check.mjs over `(entity type, name, value)` samples.
fn check_contract(samples: &[(&str, &str, Value)]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract");
    if !dir.join("node_modules/misskey-js").exists() {
        let ok = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).status();
        assert!(ok.is_ok_and(|s| s.success()), "npm ci in tests/contract failed (needs nodejs and npm)");
    }
    let tmp = TempDir::new("contract");
    let file = tmp.path().join("samples.json");
    let list: Vec<Value> =
        samples.iter().map(|(t, n, v)| json!({ "type": t, "name": n, "value": v })).collect();
    std::fs::write(&file, serde_json::to_vec(&list).unwrap()).unwrap();
    let out = Command::new("node").arg(dir.join("check.mjs")).arg(&file).output().expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "misskey-js contract violated:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
}

#[tokio::test]
async fn meta_matches_misskey_js_types() {
    let inst = Instance::init("contract_meta");
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let (_, detailed) = api(&server.base, "meta", json!({})).await;
    let (_, lite) = api(&server.base, "meta", json!({ "detail": false })).await;
    check_contract(&[("MetaDetailed", "meta", detailed), ("MetaLite", "meta detail=false", lite)]);
}
