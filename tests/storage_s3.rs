//! Drive files in an S3-compatible bucket: a real S3 server (moto's server mode, from PyPI;
//! tests/run-all.sh installs it under target/s3-venv) on loopback. Two `serve` processes share
//! one bucket and one database, as a deployment past one machine does; an instance that kept
//! files on disk switches to a bucket and loses none; a bucket that is not there is said so.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A moto S3 server on a free port, stopped on drop.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_binary() -> PathBuf {
    if let Ok(p) = std::env::var("MKRS_TEST_MOTO") {
        return PathBuf::from(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/s3-venv/bin/moto_server");
    assert!(
        local.exists(),
        "these tests need an S3 server: run tests/run-all.sh once, or \
         `tests/venv.sh s3-venv 'moto[server]==5.2.5'`"
    );
    local
}

async fn s3_server() -> S3Server {
    let port = free_port();
    let child = Command::new(moto_binary())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}") };
    let t0 = Instant::now();
    while client().get(&server.endpoint).send().await.is_err() {
        assert!(t0.elapsed() < Duration::from_secs(30), "moto_server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server
}

async fn create_bucket(s3: &S3Server, name: &str) {
    let r = client().put(format!("{}/{name}", s3.endpoint)).send().await.unwrap();
    assert!(r.status().is_success(), "creating the bucket: {}", r.status());
}

fn use_bucket(config: &Path, s3: &S3Server, bucket: &str, extra: &str) {
    let mut text = std::fs::read_to_string(config).unwrap();
    text.push_str(&format!(
        "\n[drive.s3]\nendpoint = \"{}\"\nbucket = \"{bucket}\"\naccess_key = \"testing\"\n\
         secret_key = \"testing-secret\"\nprefix = \"media/\"\n{extra}\n",
        s3.endpoint
    ));
    std::fs::write(config, text).unwrap();
}

/// Files (not directories) under the instance's local store.
fn local_files(inst: &Instance) -> Vec<String> {
    let dir = inst.dir.path().join("data/files");
    let Ok(rd) = std::fs::read_dir(&dir) else { return vec![] };
    rd.filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn key_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_string()
}

async fn fetch(url: &str, range: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = client().get(url);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let r = req.send().await.unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_bucket() {
    install_crypto();
    let s3 = s3_server().await;
    create_bucket(&s3, "mkrs-shared").await;
    let public = format!("{}/mkrs-shared/", s3.endpoint);
    let inst = Instance::init("s3shared").without_rate_limits();
    use_bucket(&inst.config, &s3, "mkrs-shared", &format!("public_url = \"{public}\"\npublic_read = true"));
    let (a, token) = serve_signed_in(&inst).await;
    assert!(a.log_text().contains("drive storage ready"), "{}", a.log_text());

    // A second process: same config and database, its own port.
    let port_b = free_port();
    let config_b = inst.dir.path().join("config-b.toml");
    let text = std::fs::read_to_string(&inst.config).unwrap();
    std::fs::write(
        &config_b,
        text.replace(&format!("127.0.0.1:{}", inst.port), &format!("127.0.0.1:{port_b}")),
    )
    .unwrap();
    let b = Server::start(&config_b, &[], format!("http://127.0.0.1:{port_b}"));
    wait_status(&b, "/readyz", 200, Duration::from_secs(20)).await;

    // An image through A: original and thumbnail land in the bucket, nothing stays on disk.
    let png = png(640, 480);
    let (s, f) = upload(&a.base, &token, &[("name", "sunset.png")], "sunset.png", &png).await;
    assert_eq!(s, 200, "{f}");
    let url = f["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{public}media/")), "served from the bucket's public URL: {url}");
    assert!(f["thumbnailUrl"].as_str().unwrap().starts_with(&public), "{f}");
    assert!(local_files(&inst).is_empty(), "nothing kept on disk: {:?}", local_files(&inst));

    // Straight from the bucket, with the headers /files/ would give.
    let (s, h, body) = fetch(url, None).await;
    assert_eq!(s, 200);
    assert_eq!(body, png);
    assert_eq!(h["content-type"], "image/png");
    assert!(h["cache-control"].to_str().unwrap().contains("immutable"));
    let (s, h, _) = fetch(f["thumbnailUrl"].as_str().unwrap(), None).await;
    assert_eq!((s, h["content-type"].to_str().unwrap()), (200, "image/webp"));

    // Through B's /files/: whole, a range, and not-modified.
    let key = key_of(url);
    let (s, h, body) = fetch(&format!("{}/files/{key}", b.base), None).await;
    assert_eq!((s, body.len()), (200, png.len()));
    assert_eq!(h["content-type"], "image/png");
    let (s, h, body) = fetch(&format!("{}/files/{key}", b.base), Some("bytes=1-8")).await;
    assert_eq!(s, 206);
    assert_eq!(body, png[1..9]);
    assert_eq!(h["content-range"].to_str().unwrap(), format!("bytes 1-8/{}", png.len()));
    let (s, _, _) = fetch(&format!("{}/files/{key}", b.base), Some(&format!("bytes={}-", png.len()))).await;
    assert_eq!(s, 416);

    // A large file that is not an image (streamed through, not read at once), and anything a
    // browser could run is a download from the bucket too.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let (s, g) = upload(&b.base, &token, &[], "data.bin", &big).await;
    assert_eq!(s, 200, "{g}");
    let gkey = key_of(g["url"].as_str().unwrap());
    let (s, _, body) = fetch(&format!("{}/files/{gkey}", a.base), None).await;
    assert!(s == 200 && body == big, "{s} {}", body.len());
    let (s, _, body) = fetch(&format!("{}/files/{gkey}", a.base), Some("bytes=1000000-2999999")).await;
    assert!(s == 206 && body == big[1_000_000..3_000_000], "{s} {}", body.len());
    let (_, h, _) = fetch(g["url"].as_str().unwrap(), None).await;
    assert_eq!(h["content-type"], "application/octet-stream");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment"), "{h:?}");
    let (s, svg) = upload(
        &a.base,
        &token,
        &[],
        "x.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    )
    .await;
    assert_eq!(s, 200, "{svg}");
    let (_, h, _) = fetch(svg["url"].as_str().unwrap(), None).await;
    assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment"), "{h:?}");

    // Deleted through B: gone from the bucket and from A.
    let (s, r) = call(&b.base, "drive/files/delete", &token, json!({ "fileId": f["id"] })).await;
    assert_eq!(s, 204, "{r}");
    assert_eq!(fetch(url, None).await.0, 404);
    assert_eq!(fetch(f["thumbnailUrl"].as_str().unwrap(), None).await.0, 404);
    assert_eq!(fetch(&format!("{}/files/{key}", a.base), None).await.0, 404);
    assert!(local_files(&inst).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_to_a_bucket_keeps_files_stored_on_disk() {
    install_crypto();
    let s3 = s3_server().await;
    create_bucket(&s3, "mkrs-switch").await;
    let inst = Instance::init("s3switch").without_rate_limits();
    let (server, token) = serve_signed_in(&inst).await;
    let png = png(32, 32);
    let (s, old) = upload(&server.base, &token, &[], "old.png", &png).await;
    assert_eq!(s, 200, "{old}");
    let old_key = key_of(old["url"].as_str().unwrap());
    assert!(local_files(&inst).contains(&old_key));
    assert_eq!(server.stop().code(), Some(0));

    // No public URL: files are served through /files/, from the bucket or else from disk.
    use_bucket(&inst.config, &s3, "mkrs-switch", "");
    let server = inst.serve();
    wait_status(&server, "/readyz", 200, Duration::from_secs(20)).await;
    let text = b"a note to self".to_vec();
    let (s, new) = upload(&server.base, &token, &[], "note.txt", &text).await;
    assert_eq!(s, 200, "{new}");
    let new_url = new["url"].as_str().unwrap();
    assert!(
        new_url.starts_with(&format!("{}/files/", server.base.replace("127.0.0.1", "localhost"))),
        "{new_url}"
    );
    let new_key = key_of(new_url);
    assert!(!local_files(&inst).contains(&new_key), "in the bucket, not on disk");
    // The bucket keeps it under the prefix, private (moto refuses anonymous reads).
    assert_eq!(fetch(&format!("{}/mkrs-switch/media/{new_key}", s3.endpoint), None).await.0, 403);
    let (s, _, body) = fetch(&format!("{}/files/{new_key}", server.base), None).await;
    assert_eq!((s, body), (200, text));
    let (s, _, body) = fetch(&format!("{}/files/{old_key}", server.base), None).await;
    assert_eq!((s, body), (200, png), "a file stored before the switch is still served");

    // Deleting the old file removes it from disk.
    let (s, r) = call(&server.base, "drive/files/delete", &token, json!({ "fileId": old["id"] })).await;
    assert_eq!(s, 204, "{r}");
    assert!(!local_files(&inst).contains(&old_key));
    assert_eq!(fetch(&format!("{}/files/{old_key}", server.base), None).await.0, 404);
    let (s, files) = call(&server.base, "drive/files", &token, json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(files.as_array().map(Vec::len), Some(1), "{files}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_that_is_not_there_fails_uploads_cleanly() {
    install_crypto();
    let s3 = s3_server().await;
    let inst = Instance::init("s3missing").without_rate_limits();
    use_bucket(&inst.config, &s3, "mkrs-never-made", "");
    let (server, token) = serve_signed_in(&inst).await;
    let t0 = Instant::now();
    while !server.log_text().contains("drive storage does not answer") {
        assert!(t0.elapsed() < Duration::from_secs(10), "no storage error logged:\n{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(server.log_text().contains("no such bucket"), "{}", server.log_text());
    assert!(!server.log_text().contains("testing-secret"), "the secret is never logged");

    let (s, r) = upload(&server.base, &token, &[], "a.png", &png(16, 16)).await;
    assert_eq!(s, 500, "{r}");
    assert_eq!(r["error"]["code"], "INTERNAL_ERROR", "{r}");
    let (s, files): (u16, Value) = call(&server.base, "drive/files", &token, json!({})).await;
    assert_eq!((s, files), (200, json!([])), "no row for a file that was not stored");
    let tmp = inst.dir.path().join("data/files/.tmp");
    let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no temporary file left behind");

    // Settings that cannot work are refused before anything starts.
    let text = std::fs::read_to_string(&inst.config).unwrap();
    std::fs::write(&inst.config, text.replace("bucket = \"mkrs-never-made\"", "bucket = \"\"")).unwrap();
    let (ok, _, err) = inst.cli(&["serve"]);
    assert!(!ok);
    assert!(err.contains("drive.s3.bucket is needed"), "{err}");
}
