//! Differential parity test of the MFM parser against the reference npm
//! package mfm-js (pinned in tests/mfm/package.json).
//!
//! Parses every input of tests/mfm/corpus.jsonl with mfm-js (node
//! tests/mfm/parse.mjs) and with `misskey-rs mfm parse --jsonl`, with both
//! `parse` and `parseSimple`, and requires the JSON trees to be identical
//! byte for byte for at least MIN_PARITY of the inputs. Remaining accepted
//! differences are listed in tests/mfm/KNOWN_DIFFERENCES.md.
//!
//! Needs node and npm: runs `npm ci` in tests/mfm when node_modules is missing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Share of corpus inputs whose trees must match exactly (achieved: 984/984 = 100%).
const MIN_PARITY: f64 = 1.0;

fn mfm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("mfm")
}

fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn run(cmd: &mut Command, stdin: &[u8]) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    // Write from another thread so a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().expect("waiting for child");
    writer.join().expect("writer thread").expect("writing stdin");
    assert!(out.status.success(), "{cmd:?} failed with {}", out.status);
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn compare(corpus: &str, simple: bool) -> (usize, usize) {
    let dir = mfm_dir();
    let mut node = Command::new("node");
    node.arg("parse.mjs").current_dir(&dir);
    let mut ours = Command::new(env!("CARGO_BIN_EXE_misskey-rs"));
    ours.args(["mfm", "parse", "--jsonl"]);
    if simple {
        node.arg("--simple");
        ours.arg("--simple");
    }
    let expected = run(&mut node, corpus.as_bytes());
    let actual = run(&mut ours, corpus.as_bytes());
    let inputs: Vec<&str> = corpus.lines().filter(|l| !l.trim().is_empty()).collect();
    let (exp, act): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    assert_eq!(exp.len(), inputs.len(), "mfm-js output line count");
    assert_eq!(act.len(), inputs.len(), "misskey-rs output line count");
    let mut same = 0;
    for (i, input) in inputs.iter().enumerate() {
        if exp[i] == act[i] {
            same += 1;
        } else if inputs.len() - same < 20 {
            let cut = |s: &str| s.chars().take(400).collect::<String>();
            eprintln!("DIFF #{i} input {}\n  mfm-js: {}\n  ours:   {}", cut(input), cut(exp[i]), cut(act[i]));
        }
    }
    (same, inputs.len())
}

#[test]
fn mfm_parity_with_mfm_js() {
    assert!(
        have("node") && have("npm"),
        "node and npm run the mfm-js reference: apt-get install nodejs npm (tests/run-all.sh does)"
    );
    let dir = mfm_dir();
    if !dir.join("node_modules").join("mfm-js").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("running npm ci");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    let corpus = std::fs::read_to_string(dir.join("corpus.jsonl")).expect("reading corpus.jsonl");
    for simple in [false, true] {
        let (same, total) = compare(&corpus, simple);
        let parity = same as f64 / total as f64;
        let what = if simple { "parseSimple" } else { "parse" };
        println!("mfm parity ({what}): {same}/{total} identical ({:.2}%)", parity * 100.0);
        assert!(parity >= MIN_PARITY, "{what} parity {same}/{total} is below {:.2}%", MIN_PARITY * 100.0);
    }
}
