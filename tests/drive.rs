//! The drive: real images uploaded as a client does (multipart), their derived files and
//! metadata, files served with the right headers, folders, quotas and refusals, files in notes,
//! avatars; bad input of every kind gets a clear error and leaves nothing behind.

mod common;
use common::*;
use serde_json::{json, Value};
use std::io::Cursor;

fn code(r: &(u16, Value)) -> (u16, Option<&str>) {
    (r.0, r.1["error"]["code"].as_str())
}

/// A JPEG with an EXIF block holding an orientation (6: turned) and a GPS position.
fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 40, 200]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let jpeg = out.into_inner();
    let mut tiff = b"II\x2a\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&6u32.to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&38u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(b"GPSLatitude 35.6586N 139.7454E");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut with = jpeg[..2].to_vec();
    with.extend_from_slice(&[0xFF, 0xE1]);
    with.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    with.extend_from_slice(&app1);
    with.extend_from_slice(&jpeg[2..]);
    with
}

fn gif_animated() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
        for shade in [0u8, 255] {
            let frame = image::RgbaImage::from_pixel(64, 48, image::Rgba([shade, 0, 0, 255]));
            enc.encode_frame(image::Frame::new(frame)).unwrap();
        }
    }
    out
}

fn webp_lossy() -> Vec<u8> {
    let img = image::RgbImage::from_fn(300, 200, |x, y| image::Rgb([x as u8, y as u8, 7]));
    webp::Encoder::from_rgb(img.as_raw(), 300, 200).encode(80.0).to_vec()
}

/// A PNG whose header says 100,000 × 100,000 pixels (a decompression bomb's announcement).
fn png_bomb() -> Vec<u8> {
    let mut p = png(8, 8);
    // IHDR's width and height follow the signature (8), length (4) and type (4); its CRC
    // (over type and data) follows its 13 bytes of data.
    p[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    p[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&p[12..29]);
    p[29..33].copy_from_slice(&crc.to_be_bytes());
    p
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn md5_hex(b: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// Files in the store, temporary ones apart.
fn stored(inst: &Instance) -> (usize, usize) {
    let dir = inst.dir.path().join("data/files");
    let count = |d: std::path::PathBuf| {
        std::fs::read_dir(d)
            .map(|r| r.filter_map(Result::ok).filter(|e| e.path().is_file()).count())
            .unwrap_or(0)
    };
    (count(dir.clone()), count(dir.join(".tmp")))
}

/// The URL a file is served at, on this test's address.
fn local(server: &Server, url: &Value) -> String {
    let u = url.as_str().expect("a URL");
    let path = &u[u.find("/files/").expect("a /files/ URL")..];
    format!("{}{path}", server.base)
}

#[tokio::test]
async fn uploads_derived_files_serving_and_refusals() {
    let inst = Instance::init("drive").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (_, alice) = user(b, &admin, "alice").await;
    let (_, bob) = user(b, &admin, "bob").await;

    // A PNG: its size, a blurhash and a WebP thumbnail that fits 498×422.
    let bytes = png(800, 600);
    let (s, f) =
        upload(b, &alice, &[("name", "gradient.png"), ("comment", "a gradient")], "blob", &bytes).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!((f["type"].as_str(), f["name"].as_str()), (Some("image/png"), Some("gradient.png")));
    assert_eq!(f["properties"], json!({ "width": 800, "height": 600 }));
    assert_eq!((f["size"].as_u64(), f["md5"].as_str()), (Some(bytes.len() as u64), Some(&*md5_hex(&bytes))));
    assert_eq!(f["comment"], "a gradient");
    assert!(f["blurhash"].as_str().is_some_and(|h| h.len() >= 6), "{f}");
    let c = client();
    let r = c.get(local(&server, &f["url"])).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert!(h["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(h["etag"].to_str().unwrap(), format!("\"{}\"", md5_hex(&bytes)));
    assert!(h["content-disposition"].to_str().unwrap().starts_with("inline"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[..]);
    let r = c.get(local(&server, &f["thumbnailUrl"])).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/webp");
    let thumb = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (498, 374));
    // Ranges, and a cached copy that is still good.
    let r = c.get(local(&server, &f["url"])).header("Range", "bytes=8-15").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"].to_str().unwrap(), format!("bytes 8-15/{}", bytes.len()));
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[8..16]);
    let r = c.get(local(&server, &f["url"])).header("Range", "bytes=999999-").send().await.unwrap();
    assert_eq!(r.status(), 416);
    let r = c.get(local(&server, &f["url"])).header("If-None-Match", h["etag"].clone()).send().await.unwrap();
    assert_eq!(r.status(), 304);

    // The same bytes again are the same file, unless forced.
    let (_, again) = upload(b, &alice, &[], "other.png", &bytes).await;
    assert_eq!(again["id"], f["id"]);
    let (_, forced) =
        upload(b, &alice, &[("force", "true"), ("isSensitive", "true")], "other.png", &bytes).await;
    assert_ne!(forced["id"], f["id"]);
    assert_eq!(forced["isSensitive"], true);

    // A photo: the GPS position is gone from the stored file, the orientation kept; its
    // thumbnail is turned the right way up.
    let photo = jpeg_with_gps(640, 320);
    let (s, p) = upload(b, &alice, &[], "IMG_0001.JPG", &photo).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["type"], "image/jpeg");
    assert_eq!(p["properties"], json!({ "width": 320, "height": 640, "orientation": 6 }));
    let kept = c.get(local(&server, &p["url"])).send().await.unwrap().bytes().await.unwrap();
    assert!(!kept.windows(11).any(|w| w == b"GPSLatitude"), "GPS still in the stored photo");
    assert!(kept.windows(4).any(|w| w == b"Exif"), "orientation dropped");
    assert_eq!(p["md5"].as_str(), Some(&*md5_hex(&kept)));
    assert_ne!(p["md5"].as_str(), Some(&*md5_hex(&photo)));
    let t = image::load_from_memory(
        &c.get(local(&server, &p["thumbnailUrl"])).send().await.unwrap().bytes().await.unwrap(),
    )
    .unwrap();
    assert!(t.height() > t.width(), "thumbnail not turned: {}x{}", t.width(), t.height());

    // An animated GIF and a WebP.
    let (s, g) = upload(b, &alice, &[], "anim.gif", &gif_animated()).await;
    assert_eq!((s, g["type"].as_str()), (200, Some("image/gif")), "{g}");
    assert_eq!(g["properties"], json!({ "width": 64, "height": 48 }));
    let (s, w) = upload(b, &alice, &[], "pic.webp", &webp_lossy()).await;
    assert_eq!((s, w["type"].as_str()), (200, Some("image/webp")), "{w}");
    assert!(w["thumbnailUrl"].is_string());

    // A file named .png that is a JPEG is a JPEG; its name says so.
    let (_, lying) = upload(b, &alice, &[("name", "cat.png")], "cat.png", &jpeg_with_gps(20, 20)).await;
    assert_eq!((lying["type"].as_str(), lying["name"].as_str()), (Some("image/jpeg"), Some("cat.png.jpg")));

    // SVG is stored, but never shown inline: a script in it cannot run from this origin.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>"#;
    let (s, sv) = upload(b, &alice, &[], "x.svg", svg).await;
    assert_eq!((s, sv["type"].as_str()), (200, Some("image/svg+xml")), "{sv}");
    assert!(sv["thumbnailUrl"].is_null());
    let r = c.get(local(&server, &sv["url"])).send().await.unwrap();
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");

    // Refusals, each leaving nothing behind.
    let before = stored(&inst);
    let mut truncated = png(300, 300);
    truncated.truncate(truncated.len() / 2);
    let r = upload(b, &alice, &[], "cut.png", &truncated).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "{}", r.1);
    assert!(r.1["error"]["info"]["reason"].as_str().unwrap().contains("cannot be read"), "{}", r.1);
    let r = upload(b, &alice, &[], "bomb.png", &png_bomb()).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "{}", r.1);
    assert!(r.1["error"]["info"]["reason"].as_str().unwrap().contains("100000"), "{}", r.1);
    let r = upload(b, &alice, &[("name", "../../etc/passwd")], "x.png", &png(4, 4)).await;
    assert_eq!(code(&r), (400, Some("INVALID_FILE_NAME")));
    let random: Vec<u8> = (0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let r = upload(b, &alice, &[], "blob.bin", &random).await;
    assert_eq!(code(&r), (400, Some("UNALLOWED_FILE_TYPE")), "{}", r.1);
    let r = upload(b, &alice, &[("folderId", "nope")], "x.png", &png(5, 5)).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_FOLDER")));
    let r = api(b, "drive/files/create", json!({ "i": alice })).await;
    assert_eq!(code(&r), (400, Some("FILE_REQUIRED")));
    // Nobody unknown makes the server store anything, whether the token comes before the file
    // or after it; a good token after the file is fine.
    let r = upload(b, "not-a-token", &[], "x.png", &png(6, 6)).await;
    assert_eq!(r.0, 401, "{}", r.1);
    let r = upload_with(b, "not-a-token", &[], "x.png", &png(6, 6), false).await;
    assert_eq!(r.0, 401, "{}", r.1);
    // Quota and size from the role policies.
    let r =
        call(b, "admin/roles/update-default-policies", &admin, json!({ "policies": { "maxFileSizeMb": 1 } }))
            .await;
    assert_eq!(r.0, 204, "{}", r.1);
    let big = png(1200, 1200);
    let big = [big.as_slice(), &vec![b'x'; 1 << 20]].concat();
    let r = upload(b, &alice, &[], "big.png", &big).await;
    assert_eq!(code(&r), (413, Some("MAX_FILE_SIZE_EXCEEDED")), "{}", r.1);
    call(b, "admin/roles/update-default-policies", &admin, json!({ "policies": { "driveCapacityMb": 0 } }))
        .await;
    let r = upload(b, &alice, &[], "small.png", &png(7, 7)).await;
    assert_eq!(code(&r), (400, Some("NO_FREE_SPACE")), "{}", r.1);
    let defaults = json!({ "policies": { "driveCapacityMb": 100, "maxFileSizeMb": 30 } });
    call(b, "admin/roles/update-default-policies", &admin, defaults).await;
    assert_eq!(stored(&inst), (before.0, 0), "a refused upload left files behind");
    let (s, late) = upload_with(b, &bob, &[("name", "late.png")], "x.png", &png(9, 9), false).await;
    assert_eq!((s, late["name"].as_str()), (200, Some("late.png")), "{late}");
    let (_, d) = call(b, "drive", &alice, json!({})).await;
    assert_eq!(d["capacity"], 100 * 1024 * 1024);
    assert!(d["usage"].as_i64().unwrap() > bytes.len() as i64, "{d}");

    // Paths outside the store are not files.
    for path in ["/files/..%2F..%2Fetc%2Fpasswd", "/files/.tmp", "/files/nothing.png"] {
        assert_eq!(get(b, path).await.0, 404, "{path}");
    }

    // Someone else's file is not theirs to see or change; a moderator may.
    let r = call(b, "drive/files/show", &bob, json!({ "fileId": f["id"] })).await;
    assert_eq!(code(&r), (400, Some("ACCESS_DENIED")));
    let r = call(b, "drive/files/delete", &bob, json!({ "fileId": f["id"] })).await;
    assert_eq!(code(&r), (400, Some("ACCESS_DENIED")));
    let (s, shown) = call(b, "drive/files/show", &admin, json!({ "url": f["thumbnailUrl"] })).await;
    assert_eq!((s, &shown["id"]), (200, &f["id"]), "{shown}");
    assert_eq!(shown["user"]["username"], "alice");

    // Lists: by folder, by type, sorted; find by name and hash.
    let (_, all) = call(b, "drive/stream", &alice, json!({ "type": "image/*", "limit": 100 })).await;
    assert_eq!(all.as_array().unwrap().len(), 7, "{all}");
    let (_, svgs) = call(b, "drive/files", &alice, json!({ "type": "image/svg+xml" })).await;
    assert_eq!(svgs.as_array().unwrap().len(), 1);
    let (_, by_size) = call(b, "drive/files", &alice, json!({ "sort": "-size", "limit": 100 })).await;
    let sizes: Vec<i64> = by_size.as_array().unwrap().iter().map(|f| f["size"].as_i64().unwrap()).collect();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    let (_, found) = call(b, "drive/files/find", &alice, json!({ "name": "gradient.png" })).await;
    assert_eq!(found[0]["id"], f["id"]);
    let (_, hashed) = call(b, "drive/files/find-by-hash", &alice, json!({ "md5": md5_hex(&bytes) })).await;
    assert_eq!(hashed.as_array().unwrap().len(), 2);
    let (_, exists) = call(b, "drive/files/check-existence", &bob, json!({ "md5": md5_hex(&bytes) })).await;
    assert_eq!(exists, json!(false));
    let r = call(b, "drive/files", &alice, json!({ "type": "image/'; DROP TABLE" })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));

    // Updates: rename, alt text, sensitive; a bad name is refused.
    let (s, u) = call(
        b,
        "drive/files/update",
        &alice,
        json!({ "fileId": f["id"], "name": "renamed.png", "comment": null, "isSensitive": true }),
    )
    .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(
        (u["name"].as_str(), &u["comment"], &u["isSensitive"]),
        (Some("renamed.png"), &Value::Null, &json!(true))
    );
    let r = call(b, "drive/files/update", &alice, json!({ "fileId": f["id"], "name": "a/b" })).await;
    assert_eq!(code(&r), (400, Some("INVALID_FILE_NAME")));

    check_contract(&[
        ("DriveFile", "drive/files/create", f.clone()),
        ("DriveFile", "drive/files/show", shown.clone()),
        ("DriveFilesResponse", "drive/files", by_size.clone()),
        ("DriveStreamResponse", "drive/stream", all.clone()),
        ("DriveResponse", "drive", d.clone()),
        ("DriveFilesUpdateResponse", "drive/files/update", u.clone()),
    ]);
    server.stop();
}

#[tokio::test]
async fn folders_notes_and_avatars() {
    let inst = Instance::init("drive_folders").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice_id, alice) = user(b, &admin, "alice").await;
    let (_, bob) = user(b, &admin, "bob").await;

    // Folders nest, but never into themselves.
    let (s, top) = call(b, "drive/folders/create", &alice, json!({ "name": "photos" })).await;
    assert_eq!(s, 200, "{top}");
    let (_, sub) =
        call(b, "drive/folders/create", &alice, json!({ "name": "2026", "parentId": top["id"] })).await;
    let (_, subsub) = call(b, "drive/folders/create", &alice, json!({ "parentId": sub["id"] })).await;
    let long = "長".repeat(200);
    let (s, named) =
        call(b, "drive/folders/create", &alice, json!({ "name": long, "parentId": sub["id"] })).await;
    assert_eq!((s, named["name"].as_str()), (200, Some(long.as_str())), "{named}");
    call(b, "drive/folders/delete", &alice, json!({ "folderId": named["id"] })).await;
    let r = call(b, "drive/folders/create", &alice, json!({ "name": "長".repeat(201) })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));
    assert_eq!(subsub["name"], "Untitled");
    let r =
        call(b, "drive/folders/update", &alice, json!({ "folderId": top["id"], "parentId": subsub["id"] }))
            .await;
    assert_eq!(code(&r), (400, Some("RECURSIVE_NESTING")));
    let r = call(b, "drive/folders/update", &alice, json!({ "folderId": top["id"], "parentId": top["id"] }))
        .await;
    assert_eq!(code(&r), (400, Some("RECURSIVE_NESTING")));
    let r = call(b, "drive/folders/create", &bob, json!({ "parentId": top["id"] })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_FOLDER")));
    let (s, shown) = call(b, "drive/folders/show", &alice, json!({ "folderId": subsub["id"] })).await;
    assert_eq!(s, 200, "{shown}");
    assert_eq!(
        (shown["parent"]["name"].as_str(), shown["parent"]["parent"]["name"].as_str()),
        (Some("2026"), Some("photos"))
    );
    let (_, moved) = call(
        b,
        "drive/folders/update",
        &alice,
        json!({ "folderId": subsub["id"], "parentId": null, "name": "misc" }),
    )
    .await;
    assert_eq!((moved["parentId"].clone(), moved["name"].as_str()), (Value::Null, Some("misc")));

    // A file in a folder; a non-empty folder is not deleted.
    let (_, f) = upload(b, &alice, &[("folderId", sub["id"].as_str().unwrap())], "a.png", &png(40, 30)).await;
    assert_eq!(f["folderId"], sub["id"], "{f} {sub}");
    let (_, in_sub) = call(b, "drive/files", &alice, json!({ "folderId": sub["id"] })).await;
    assert_eq!(in_sub.as_array().unwrap().len(), 1);
    let (_, at_root) = call(b, "drive/files", &alice, json!({})).await;
    assert_eq!(at_root, json!([]));
    let r = call(b, "drive/folders/delete", &alice, json!({ "folderId": sub["id"] })).await;
    assert_eq!(code(&r), (400, Some("HAS_CHILD_FILES_OR_FOLDERS")));
    let r = call(b, "drive/files/move-bulk", &alice, json!({ "fileIds": [f["id"]], "folderId": null })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (_, at_root) = call(b, "drive/files", &alice, json!({})).await;
    assert_eq!(at_root[0]["id"], f["id"], "{at_root}");
    let (_, folders) = call(b, "drive/folders", &alice, json!({})).await;
    assert_eq!(folders.as_array().unwrap().len(), 2, "{folders}");

    // Files in notes: the author's own only; others see them packed in the note.
    let (s, n) = call(b, "notes/create", &alice, json!({ "fileIds": [f["id"]] })).await;
    assert_eq!(s, 200, "{n}");
    let note = &n["createdNote"];
    assert_eq!((note["files"][0]["id"].clone(), note["text"].clone()), (f["id"].clone(), Value::Null));
    let (_, bobs) = upload(b, &bob, &[], "b.png", &png(10, 10)).await;
    let r = call(b, "notes/create", &alice, json!({ "text": "x", "fileIds": [bobs["id"]] })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_FILE")));
    let r = call(b, "notes/create", &alice, json!({ "text": "x", "fileIds": [f["id"], f["id"]] })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));
    let (_, shown_note) = call(b, "notes/show", &bob, json!({ "noteId": note["id"] })).await;
    assert_eq!(shown_note["files"][0]["thumbnailUrl"], f["thumbnailUrl"]);
    let (_, tl) = call(b, "notes/local-timeline", &bob, json!({ "withFiles": true })).await;
    assert_eq!(tl[0]["files"][0]["id"], f["id"], "{tl}");
    let (_, attached) = call(b, "drive/files/attached-notes", &alice, json!({ "fileId": f["id"] })).await;
    assert_eq!(attached[0]["id"], note["id"], "{attached}");

    // Avatar and banner: the caller's own images.
    let (s, me) = call(b, "i/update", &alice, json!({ "avatarId": f["id"], "bannerId": f["id"] })).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (me["avatarId"].clone(), me["avatarUrl"].clone(), me["bannerUrl"].clone()),
        (f["id"].clone(), f["url"].clone(), f["url"].clone())
    );
    let (_, seen) = call(b, "users/show", &bob, json!({ "userId": alice_id })).await;
    assert_eq!(seen["avatarUrl"], f["url"]);
    let r = call(b, "i/update", &alice, json!({ "avatarId": bobs["id"] })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_AVATAR")));
    let (_, txt) = upload(b, &alice, &[], "notes.txt", b"plain words\n").await;
    assert_eq!(txt["type"], "text/plain");
    let r = call(b, "i/update", &alice, json!({ "bannerId": txt["id"] })).await;
    assert_eq!(code(&r), (400, Some("BANNER_NOT_AN_IMAGE")));

    // Deleting the file: gone from the store, the note and the profile.
    let r = call(b, "drive/files/delete", &alice, json!({ "fileId": f["id"] })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    assert_eq!(get(b, &local(&server, &f["url"])[b.len()..]).await.0, 404);
    let (_, after) = call(b, "notes/show", &bob, json!({ "noteId": note["id"] })).await;
    assert_eq!(after["files"], json!([]));
    let (_, me) = call(b, "i", &alice, json!({})).await;
    assert_eq!(me["avatarId"], Value::Null);
    let r = call(b, "drive/folders/delete", &alice, json!({ "folderId": subsub["id"] })).await;
    assert_eq!(r.0, 204);

    check_contract(&[
        ("DriveFolder", "drive/folders/create", top.clone()),
        ("DriveFolder", "drive/folders/show", shown.clone()),
        ("DriveFoldersResponse", "drive/folders", folders.clone()),
        ("Note", "notes/create", note.clone()),
        ("DriveFilesAttachedNotesResponse", "drive/files/attached-notes", attached.clone()),
    ]);
    server.stop();
}

/// Serves `body` as `image/png` to every request on a loopback port; answers its address.
async fn serve_once(body: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!("HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn upload_from_url_and_moderators() {
    // Loopback peers are allowed here, so the test's own HTTP server can be fetched from.
    let inst = Instance::init("drive_url").without_rate_limits().federating();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (alice_id, alice) = user(b, &admin, "alice").await;
    let origin = serve_once(png(320, 200)).await;

    let r = call(
        b,
        "drive/files/upload-from-url",
        &alice,
        json!({ "url": format!("{origin}/photo%20one.png"), "comment": "from the web", "marker": "m1" }),
    )
    .await;
    assert_eq!(r.0, 204, "{}", r.1);
    let mut got = Value::Null;
    for _ in 0..100 {
        let (_, files) = call(b, "drive/stream", &alice, json!({})).await;
        if let Some(f) = files.as_array().and_then(|l| l.first()) {
            got = f.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        (got["name"].as_str(), got["type"].as_str()),
        (Some("photo one.png"), Some("image/png")),
        "{got}"
    );
    assert_eq!(
        (got["comment"].as_str(), &got["properties"]),
        (Some("from the web"), &json!({ "width": 320, "height": 200 }))
    );
    for bad in ["file:///etc/passwd", "gopher://x", "not a url"] {
        let r = call(b, "drive/files/upload-from-url", &alice, json!({ "url": bad })).await;
        assert_eq!(code(&r), (400, Some("INVALID_PARAM")), "{bad}");
    }

    // The media proxy: other servers' images resized as the flag asks, anything else refused,
    // kept in a cache that `admin media prune` empties.
    let big = serve_once(png(800, 600)).await;
    let text = serve_once(b"just words, not media".to_vec()).await;
    let c = client();
    let r = c.get(format!("{b}/proxy/avatar.webp?url={big}/a.png&avatar=1")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/webp"));
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (427, 320));
    let r = c.get(format!("{b}/proxy/preview.webp?url={big}/a.png&preview=1")).send().await.unwrap();
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (200, 150));
    let r = c.get(format!("{b}/proxy/x?url={big}/a.png")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().len(), png(800, 600).len());
    assert_eq!(get(b, &format!("/proxy/x?url={text}/t.txt")).await.0, 403);
    assert_eq!(get(b, "/proxy/x?url=file:///etc/passwd").await.0, 400);
    assert_eq!(get(b, "/proxy/x").await.0, 400);
    let (ok, out, err) = inst.cli(&["admin", "media", "prune", "--older-than-days", "0", "--dry-run"]);
    assert!(ok, "{err}");
    assert!(out.contains("proxy cache: 3 files"), "{out}");
    let (ok, out, _) = inst.cli(&["admin", "media", "prune", "--older-than-days", "0"]);
    assert!(ok && out.contains("freed"), "{out}");
    let cache = inst.dir.path().join("data/cache/proxy");
    assert_eq!(std::fs::read_dir(&cache).map(|d| d.count()).unwrap_or(0), 0);

    // Moderators see every file; an administrator removes all of a user's.
    let (s, all) = call(b, "admin/drive/files", &admin, json!({})).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(all[0]["user"]["username"], "alice");
    let (s, shown) = call(b, "admin/drive/show-file", &admin, json!({ "fileId": got["id"] })).await;
    assert_eq!(
        (s, shown["isLink"].clone(), shown["userHost"].clone()),
        (200, json!(false), Value::Null),
        "{shown}"
    );
    let r = call(b, "admin/drive/files", &alice, json!({})).await;
    assert_eq!(r.0, 403);
    // Moving in bulk passes over others' files; a moderator deleting one of alice's is logged.
    let (_, mine) = upload(b, &admin, &[], "admins.png", &png(8, 8)).await;
    let (_, folder) = call(b, "drive/folders/create", &alice, json!({ "name": "bulk" })).await;
    let r = call(
        b,
        "drive/files/move-bulk",
        &alice,
        json!({ "fileIds": [got["id"], mine["id"], "0000000000"], "folderId": folder["id"] }),
    )
    .await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (_, moved) = call(b, "drive/files/show", &alice, json!({ "fileId": got["id"] })).await;
    assert_eq!(moved["folderId"], folder["id"], "{moved}");
    let (_, theirs) = call(b, "drive/files/show", &admin, json!({ "fileId": mine["id"] })).await;
    assert_eq!(theirs["folderId"], Value::Null, "{theirs}");
    let r =
        call(b, "drive/files/move-bulk", &alice, json!({ "fileIds": [got["id"]], "folderId": "0000000000" }))
            .await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_FOLDER")), "{}", r.1);
    let r = call(b, "drive/files/delete", &admin, json!({ "fileId": got["id"] })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (_, log) = call(b, "admin/show-moderation-logs", &admin, json!({})).await;
    assert_eq!(
        (log[0]["type"].clone(), log[0]["info"]["fileId"].clone()),
        (json!("deleteDriveFile"), got["id"].clone())
    );
    call(b, "drive/files/delete", &admin, json!({ "fileId": mine["id"] })).await;
    let (_, log) = call(b, "admin/show-moderation-logs", &admin, json!({})).await;
    let logged = log.as_array().unwrap().iter().filter(|l| l["type"] == "deleteDriveFile").count();
    assert_eq!(logged, 1, "one's own file is not logged: {log}");
    let r = call(b, "admin/delete-all-files-of-a-user", &admin, json!({ "userId": alice_id })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    for _ in 0..100 {
        let (_, files) = call(b, "drive/stream", &alice, json!({})).await;
        if files == json!([]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (_, files) = call(b, "drive/stream", &alice, json!({})).await;
    assert_eq!(files, json!([]));
    assert_eq!(stored(&inst), (0, 0), "stored bytes left after the files went");
    let (_, log) = call(b, "admin/show-moderation-logs", &admin, json!({})).await;
    assert_eq!(log[0]["type"], "deleteAllFilesOfAUser");

    check_contract(&[
        ("AdminDriveFilesResponse", "admin/drive/files", all.clone()),
        ("AdminDriveShowFileResponse", "admin/drive/show-file", shown.clone()),
    ]);
    server.stop();
}
