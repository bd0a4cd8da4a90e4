//! Federation benchmark client (bench/federation.sh runs it).
//!
//! `fed_bench inbox BASE HOST DB_URL N CONCURRENCY SERVER_PID`: serves a fake peer actor here,
//! posts N signed Create(Note) activities to BASE/inbox (HOST is the host the server is
//! reached as, which the signatures cover), reports how fast they are accepted (202) and how
//! fast the server stores them (notes counted in DB_URL), and the server's peak RSS.
//!
//! `fed_bench sink FIRST_PORT PORTS EXPECTED BASE TOKEN SERVER_PID`: listens on PORTS ports
//! from FIRST_PORT as that many remote servers answering 202 to every POST, posts one note
//! with TOKEN on BASE and reports the time until EXPECTED deliveries arrived, and the
//! server's peak RSS.

use misskey_rs::ap::signature::{digest, http_date, Signer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn peak_rss_mib(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(((p / 100.0) * (sorted.len() - 1) as f64).round() as usize).min(sorted.len() - 1)]
}

/// A minimal HTTP/1.1 server: answers `respond(path)` to every request, keeps connections.
async fn serve_port(port: u16, hits: Arc<AtomicUsize>, actor: Option<Arc<String>>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    loop {
        let Ok((mut sock, _)) = listener.accept().await else { continue };
        let (hits, actor) = (hits.clone(), actor.clone());
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(8192);
            loop {
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    let mut chunk = [0u8; 8192];
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    let mut chunk = [0u8; 8192];
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let is_get = head.starts_with("get ");
                buf.drain(..head_end + len);
                let reply = match (&actor, is_get) {
                    (Some(a), true) => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/activity+json\r\ncontent-length: {}\r\n\r\n{}",
                        a.len(),
                        a
                    ),
                    _ => {
                        hits.fetch_add(1, Ordering::Relaxed);
                        "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_string()
                    }
                };
                if sock.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

async fn count_notes(db: &str) -> i64 {
    let out = tokio::process::Command::new("psql")
        .args([db, "-qAtc", "SELECT count(*) FROM notes WHERE user_host IS NOT NULL"])
        .output()
        .await
        .expect("psql");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

async fn inbox(a: &[String]) {
    let (base, host, db) = (a[2].clone(), a[3].clone(), a[4].clone());
    let n: usize = a[5].parse().expect("N");
    let conc: usize = a[6].parse().expect("CONCURRENCY");
    let pid = a[7].clone();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let peer = format!("http://127.0.0.1:{port}");
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let actor = serde_json::json!({
        "id": format!("{peer}/users/p"), "type": "Person", "preferredUsername": "p",
        "inbox": format!("{peer}/users/p/inbox"),
        "publicKey": { "id": format!("{peer}/users/p#main-key"), "owner": format!("{peer}/users/p"), "publicKeyPem": public_pem },
    });
    tokio::spawn(serve_port(port, Arc::default(), Some(Arc::new(actor.to_string()))));
    let signer = Arc::new(Signer::new(&private_pem, &format!("{peer}/users/p#main-key")).unwrap());
    let client = reqwest::Client::builder().pool_max_idle_per_host(conc).build().unwrap();
    // Requests are signed before the clock starts: signing is the peer's work, not the server's.
    let sign = |i: usize| {
        let body = serde_json::to_vec(&serde_json::json!({
            "id": format!("{peer}/activities/{i}"), "type": "Create", "actor": format!("{peer}/users/p"),
            "object": { "id": format!("{peer}/notes/{i}"), "type": "Note", "attributedTo": format!("{peer}/users/p"),
                "content": format!("<p>benchmark note {i} with <b>some</b> text</p>"),
                "to": ["https://www.w3.org/ns/activitystreams#Public"] },
        }))
        .unwrap();
        let (date, d) = (http_date(chrono::Utc::now()), digest(&body));
        let sig = signer.sign("POST", "/inbox", &[("host", &host), ("date", &date), ("digest", &d)]);
        (body, date, d, sig)
    };
    let post = {
        let (client, base) = (client.clone(), base.clone());
        move |(body, date, d, sig): (Vec<u8>, String, String, String)| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/inbox"))
                    .header("content-type", "application/activity+json")
                    .header("date", date)
                    .header("digest", d)
                    .header("signature", sig)
                    .body(body)
                    .send()
                    .await;
                (r.map(|r| r.status().as_u16()).unwrap_or(0), t.elapsed().as_secs_f64() * 1000.0)
            }
        }
    };
    // The first one makes the server fetch and keep the key.
    assert_eq!(post(sign(usize::MAX)).await.0, 202, "the warm-up activity was refused");
    let signed: Vec<_> = (0..n).map(sign).collect();
    let before = count_notes(&db).await;
    let t0 = Instant::now();
    use futures_util::StreamExt;
    let results: Vec<(u16, f64)> =
        futures_util::stream::iter(signed).map(&post).buffer_unordered(conc).collect().await;
    let accepted_in = t0.elapsed();
    let ok = results.iter().filter(|r| r.0 == 202).count();
    let mut lat: Vec<f64> = results.iter().map(|r| r.1).collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "inbox: {ok}/{n} signed activities accepted in {:.2} s = {:.0}/s (verified, queued); latency p50 {:.1} ms p99 {:.1} ms",
        accepted_in.as_secs_f64(),
        ok as f64 / accepted_in.as_secs_f64(),
        pct(&lat, 50.0),
        pct(&lat, 99.0)
    );
    loop {
        let stored = count_notes(&db).await - before;
        if stored >= ok as i64 || t0.elapsed() > Duration::from_secs(600) {
            let took = t0.elapsed().as_secs_f64();
            println!("inbox: {stored} notes stored {took:.2} s after the first post = {:.0} activities/s processed end to end", stored as f64 / took);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("server peak RSS: {:.1} MiB", peak_rss_mib(&pid));
}

async fn sink(a: &[String]) {
    let first: u16 = a[2].parse().expect("FIRST_PORT");
    let ports: u16 = a[3].parse().expect("PORTS");
    let expected: usize = a[4].parse().expect("EXPECTED");
    let (base, token, pid) = (a[5].clone(), a[6].clone(), a[7].clone());
    let hits = Arc::new(AtomicUsize::new(0));
    for p in first..first + ports {
        tokio::spawn(serve_port(p, hits.clone(), None));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    let r = reqwest::Client::new()
        .post(format!("{base}/api/notes/create"))
        .json(&serde_json::json!({ "i": token, "text": "to every follower" }))
        .send()
        .await
        .expect("notes/create");
    assert!(r.status().is_success(), "notes/create: {}", r.status());
    let mut marks = vec![];
    loop {
        let got = hits.load(Ordering::Relaxed);
        for frac in [0.5, 0.9, 0.99] {
            if marks.len() < 3
                && got as f64 >= frac * expected as f64
                && marks.iter().all(|(f, _)| *f != frac)
            {
                marks.push((frac, t0.elapsed().as_secs_f64()));
            }
        }
        if got >= expected || t0.elapsed() > Duration::from_secs(900) {
            let took = t0.elapsed().as_secs_f64();
            let m: Vec<String> =
                marks.iter().map(|(f, t)| format!("{:.0}% at {t:.2} s", f * 100.0)).collect();
            println!(
                "delivery: {got}/{expected} deliveries on {ports} hosts in {took:.2} s = {:.0}/s ({})",
                got as f64 / took,
                m.join(", ")
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("server peak RSS: {:.1} MiB", peak_rss_mib(&pid));
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(String::as_str) {
        Some("inbox") if a.len() >= 8 => inbox(&a).await,
        Some("sink") if a.len() >= 8 => sink(&a).await,
        _ => {
            eprintln!("usage: fed_bench inbox BASE HOST DB_URL N CONCURRENCY SERVER_PID | sink FIRST_PORT PORTS EXPECTED BASE TOKEN SERVER_PID");
            std::process::exit(2);
        }
    }
}
