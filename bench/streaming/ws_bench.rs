//! Streaming benchmark client (bench/streaming.sh runs it): opens many authenticated WebSocket
//! connections on /streaming, each joining homeTimeline and main, reports the server's memory
//! with them open, then posts notes as an author some of them follow and measures the delivery
//! latency from the start of each `notes/create` to its arrival on every follower's socket.
//!
//! Usage: ws_bench BASE_URL TOKENS_FILE CONNECTIONS FOLLOWERS AUTHOR_TOKEN NOTES SERVER_PID
//! The first FOLLOWERS tokens of TOKENS_FILE must be the author's followers.

use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Opens one connection and joins the two channels, waiting for both acknowledgements.
async fn open(
    ws_url: &str,
    token: &str,
    idx: usize,
    arrivals: mpsc::UnboundedSender<(String, usize, Instant)>,
) -> Result<(), String> {
    let (mut s, _) =
        tokio_tungstenite::connect_async(format!("{ws_url}?i={token}")).await.map_err(|e| e.to_string())?;
    for (ch, id) in [("homeTimeline", "h"), ("main", "m")] {
        let f = format!(r#"{{"type":"connect","body":{{"channel":"{ch}","id":"{id}","pong":true}}}}"#);
        s.send(Message::text(f)).await.map_err(|e| e.to_string())?;
    }
    let mut acks = 0;
    while acks < 2 {
        match tokio::time::timeout(Duration::from_secs(30), s.next()).await {
            Ok(Some(Ok(Message::Text(t)))) if t.contains(r#""type":"connected""#) => acks += 1,
            Ok(Some(Ok(_))) => {}
            other => return Err(format!("no acknowledgement: {other:?}")),
        }
    }
    tokio::spawn(async move {
        while let Some(Ok(m)) = s.next().await {
            if let Message::Text(t) = m {
                let at = Instant::now();
                if !t.contains(r#""id":"h","type":"note""#) {
                    continue;
                }
                let v: serde_json::Value = match serde_json::from_str(&t) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                if let Some(id) = v["body"]["body"]["id"].as_str() {
                    let _ = arrivals.send((id.to_string(), idx, at));
                }
            }
        }
    });
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 8 {
        eprintln!("usage: ws_bench BASE_URL TOKENS_FILE CONNECTIONS FOLLOWERS AUTHOR_TOKEN NOTES SERVER_PID");
        std::process::exit(2);
    }
    let base = a[1].clone();
    let tokens: Vec<String> =
        std::fs::read_to_string(&a[2]).expect("tokens file").lines().map(str::to_owned).collect();
    let conns: usize = a[3].parse().unwrap();
    let followers: usize = a[4].parse().unwrap();
    let author = a[5].clone();
    let notes: usize = a[6].parse().unwrap();
    let pid = a[7].clone();
    assert!(tokens.len() >= conns && conns >= followers, "not enough tokens");
    let ws_url = base.replace("http://", "ws://") + "/streaming";

    let idle = rss_kib(&pid);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let t0 = Instant::now();
    let results: Vec<Result<(), String>> = futures_util::stream::iter(0..conns)
        .map(|i| open(&ws_url, &tokens[i], i, tx.clone()))
        .buffer_unordered(256)
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        eprintln!("first failure: {e}");
    }
    let opened = t0.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let with_conns = rss_kib(&pid);
    println!(
        "connections: {} open ({failed} failed) in {:.1} s, each on homeTimeline + main",
        conns - failed,
        opened.as_secs_f64()
    );
    println!(
        "server RSS: {:.1} MiB idle, {:.1} MiB with the connections open ({:.2} KiB per connection)",
        idle as f64 / 1024.0,
        with_conns as f64 / 1024.0,
        (with_conns.saturating_sub(idle)) as f64 / (conns - failed).max(1) as f64
    );

    // Notes by an author whom the first `followers` connections follow.
    let http = reqwest::Client::new();
    let mut started: HashMap<String, Instant> = HashMap::new();
    for k in 0..notes {
        let t = Instant::now();
        let r = http
            .post(format!("{base}/api/notes/create"))
            .json(&serde_json::json!({ "i": author, "text": format!("streaming bench note {k}") }))
            .send()
            .await
            .expect("notes/create");
        let v: serde_json::Value = r.json().await.expect("a JSON answer");
        let id = v["createdNote"]["id"].as_str().expect("a created note").to_string();
        started.insert(id, t);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut per_delivery = Vec::new();
    let mut last: HashMap<String, f64> = HashMap::new();
    let mut count: HashMap<String, usize> = HashMap::new();
    let mut stray = 0;
    while let Ok((id, idx, at)) = rx.try_recv() {
        let Some(t) = started.get(&id) else { continue };
        if idx >= followers {
            stray += 1;
        }
        let ms = at.duration_since(*t).as_secs_f64() * 1000.0;
        per_delivery.push(ms);
        let l = last.entry(id.clone()).or_insert(0.0);
        *l = l.max(ms);
        *count.entry(id).or_default() += 1;
    }
    per_delivery.sort_by(|a, b| a.total_cmp(b));
    let mut lasts: Vec<f64> = last.values().copied().collect();
    lasts.sort_by(|a, b| a.total_cmp(b));
    let complete = count.values().filter(|&&c| c == followers).count();
    println!(
        "delivery: {notes} notes × {followers} follower sockets = {} deliveries ({} expected, {complete} notes reached every follower, {stray} reached a non-follower)",
        per_delivery.len(),
        notes * followers
    );
    println!(
        "latency notes/create → socket: p50 {:.1} ms, p99 {:.1} ms; → last socket of each note: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&per_delivery, 50.0),
        pct(&per_delivery, 99.0),
        pct(&lasts, 50.0),
        pct(&lasts, 99.0),
        lasts.last().copied().unwrap_or(f64::NAN)
    );
    println!("server RSS after delivery: {:.1} MiB", rss_kib(&pid) as f64 / 1024.0);
    if failed > 0 || stray > 0 || complete != notes {
        std::process::exit(1);
    }
}
