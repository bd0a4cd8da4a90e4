//! Rust side of the MFM bench: parse, and parse + to_html, over a JSONL note
//! corpus (bench/mfm/gen_notes.mjs); prints MB/s and notes/s (best of N
//! rounds) and the slowest single note. Build it in release mode as an
//! example of the main crate, e.g. with `[[example]] name = "mfm_bench"
//! path = "bench/mfm/mfm_bench.rs"`, then see bench/mfm/run.sh.

use misskey_rs::mfm::{parse, to_html, HtmlContext};
use std::time::{Duration, Instant};

// `pub` so the file can also be mounted as a module by a wrapper binary.
pub fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: mfm_bench NOTES.jsonl [ROUNDS]");
    let rounds: usize = args.next().map_or(5, |r| r.parse().expect("rounds"));
    let text = std::fs::read_to_string(&path).expect("reading corpus");
    let notes: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON string per line"))
        .collect();
    let bytes: usize = notes.iter().map(String::len).sum();
    let ctx = HtmlContext::new("https://misskey.example");

    let report = |what: &str, best: Duration| {
        let s = best.as_secs_f64();
        println!(
            "misskey-rs {what}: {} notes, {:.2} MB, best of {rounds}: {:.1} ms = {:.2} MB/s, {:.0} notes/s",
            notes.len(),
            bytes as f64 / 1e6,
            s * 1000.0,
            bytes as f64 / 1e6 / s,
            notes.len() as f64 / s
        );
    };

    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        for n in &notes {
            std::hint::black_box(parse(n));
        }
        best = best.min(t.elapsed());
    }
    report("parse", best);

    let mut best = Duration::MAX;
    let mut html_bytes = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        html_bytes = 0;
        for n in &notes {
            html_bytes += std::hint::black_box(to_html(&parse(n), &ctx)).len();
        }
        best = best.min(t.elapsed());
    }
    report("parse+to_html", best);
    println!("  (html output {:.2} MB)", html_bytes as f64 / 1e6);

    let (mut worst, mut worst_len) = (Duration::ZERO, 0);
    for n in &notes {
        let t = Instant::now();
        std::hint::black_box(parse(n));
        if t.elapsed() > worst {
            (worst, worst_len) = (t.elapsed(), n.len());
        }
    }
    println!("  slowest single note: {worst:?} ({worst_len} bytes)");
}
