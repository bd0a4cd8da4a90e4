//! Custom emoji: made from drive images by those whose role may, listed for clients, used as
//! reactions (with Misskey's fallback where one cannot be), renamed and removed; shapes fit
//! misskey-js.

mod common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

fn code(r: &(u16, Value)) -> (u16, Option<&str>) {
    (r.0, r.1["error"]["code"].as_str())
}

#[tokio::test]
async fn custom_emoji_lifecycle_and_reactions() {
    let inst = Instance::init("emoji").without_rate_limits();
    let (server, admin) = serve_signed_in(&inst).await;
    let b = server.base.as_str();
    let (_, alice) = user(b, &admin, "alice").await;
    let (_, bob) = user(b, &admin, "bob").await;

    let (_, img) = upload(b, &admin, &[], "blobcat.png", &png(64, 64)).await;
    let (_, txt) = upload(b, &admin, &[], "x.txt", b"not an image").await;
    let (s, e) = call(
        b,
        "admin/emoji/add",
        &admin,
        json!({ "name": "blobcat", "fileId": img["id"], "category": "cats", "aliases": ["cat", "blob"] }),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(
        (e["name"].as_str(), e["host"].clone(), e["category"].as_str()),
        (Some("blobcat"), Value::Null, Some("cats"))
    );
    assert_eq!(e["url"], img["url"]);
    let r = call(b, "admin/emoji/add", &admin, json!({ "name": "blobcat", "fileId": img["id"] })).await;
    assert_eq!(code(&r), (400, Some("DUPLICATE_NAME")));
    let r = call(b, "admin/emoji/add", &admin, json!({ "name": "text", "fileId": txt["id"] })).await;
    assert_eq!(code(&r), (400, Some("UNSUPPORTED_FILE_TYPE")));
    let r = call(b, "admin/emoji/add", &admin, json!({ "name": "bad name!", "fileId": img["id"] })).await;
    assert_eq!(code(&r), (400, Some("INVALID_PARAM")));
    let r = call(b, "admin/emoji/add", &admin, json!({ "name": "x", "fileId": "nope" })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_FILE")));
    // Only a role that may manage emoji may.
    let r = call(b, "admin/emoji/add", &alice, json!({ "name": "mine", "fileId": img["id"] })).await;
    assert_eq!(code(&r), (403, Some("ROLE_PERMISSION_DENIED")));

    // Clients list them, without signing in.
    let (s, list) = get(b, "/api/emojis").await;
    assert_eq!(s, 200);
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["emojis"][0]["name"], "blobcat", "{list}");
    let (s, one) = api(b, "emoji", json!({ "name": "blobcat" })).await;
    assert_eq!((s, one["aliases"].clone()), (200, json!(["cat", "blob"])));
    let r = api(b, "emoji", json!({ "name": "nothing" })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_EMOJI")));

    // Reactions: a local emoji is kept as `:name@.:`; an unknown one becomes the like.
    let (_, n) = call(b, "notes/create", &alice, json!({ "text": "meow :blobcat:" })).await;
    let note = n["createdNote"]["id"].as_str().unwrap().to_string();
    // Those watching the note hear the reaction with the emoji's name and picture.
    let ws_url = format!("{}/streaming?i={alice}", b.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.expect("upgrade");
    let sub = json!({ "type": "subNote", "body": { "id": note } }).to_string();
    ws.send(tokio_tungstenite::tungstenite::Message::text(sub)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = call(b, "notes/reactions/create", &bob, json!({ "noteId": note, "reaction": ":blobcat:" })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(m)) = ws.next().await {
            let v: Value = serde_json::from_str(m.to_text().unwrap_or("null")).unwrap_or_default();
            if v["type"] == "noteUpdated" {
                return v["body"]["body"].clone();
            }
        }
        Value::Null
    })
    .await
    .expect("the reaction is heard");
    assert_eq!(
        (heard["reaction"].as_str(), heard["emoji"]["name"].as_str()),
        (Some(":blobcat@.:"), Some("blobcat@."))
    );
    assert_eq!(heard["emoji"]["url"], img["url"], "{heard}");
    let r =
        call(b, "notes/reactions/create", &admin, json!({ "noteId": note, "reaction": ":nosuch:" })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (_, shown) = call(b, "notes/show", &bob, json!({ "noteId": note })).await;
    assert_eq!(shown["reactions"], json!({ ":blobcat@.:": 1, "❤": 1 }), "{shown}");
    assert_eq!(shown["myReaction"], ":blobcat@.:");
    let (_, who) = call(b, "notes/reactions", &bob, json!({ "noteId": note })).await;
    assert!(who.as_array().unwrap().iter().any(|r| r["type"] == ":blobcat@.:"), "{who}");

    // An emoji kept for a role: its holders react with it, others fall back to the like.
    let (_, vip) = call(b, "admin/roles/create", &admin, json!({ "name": "vip", "target": "manual" })).await;
    let (_, img3) = upload(b, &admin, &[], "vip.png", &png(16, 16)).await;
    let only = json!({ "name": "vipcat", "fileId": img3["id"], "roleIdsThatCanBeUsedThisEmojiAsReaction": [vip["id"]] });
    assert_eq!(call(b, "admin/emoji/add", &admin, only).await.0, 200);
    let (_, alice_me) = call(b, "i", &alice, json!({})).await;
    let r =
        call(b, "admin/roles/assign", &admin, json!({ "roleId": vip["id"], "userId": alice_me["id"] })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (_, n2) = call(b, "notes/create", &admin, json!({ "text": "vip only" })).await;
    let n2 = n2["createdNote"]["id"].clone();
    for who in [&alice, &bob] {
        let r = call(b, "notes/reactions/create", who, json!({ "noteId": n2, "reaction": ":vipcat:" })).await;
        assert_eq!(r.0, 204, "{}", r.1);
    }
    let (_, shown) = call(b, "notes/show", &bob, json!({ "noteId": n2 })).await;
    assert_eq!(shown["reactions"], json!({ ":vipcat@.:": 1, "❤": 1 }), "{shown}");

    // Renamed, with its name clash refused; listed for managers; deleted.
    let (_, img2) = upload(b, &admin, &[], "other.png", &png(32, 32)).await;
    let (_, e2) = call(b, "admin/emoji/add", &admin, json!({ "name": "other", "fileId": img2["id"] })).await;
    let r = call(b, "admin/emoji/update", &admin, json!({ "id": e2["id"], "name": "blobcat" })).await;
    assert_eq!(code(&r), (400, Some("SAME_NAME_EMOJI_EXISTS")));
    let r = call(
        b,
        "admin/emoji/update",
        &admin,
        json!({ "id": e2["id"], "name": "other2", "category": null, "isSensitive": true }),
    )
    .await;
    assert_eq!(r.0, 204, "{}", r.1);
    let (s, managed) = call(b, "admin/emoji/list", &admin, json!({ "query": "other" })).await;
    assert_eq!(s, 200, "{managed}");
    assert_eq!(
        (managed[0]["name"].as_str(), managed[0]["isSensitive"].clone()),
        (Some("other2"), json!(true))
    );
    let r = call(b, "admin/emoji/delete", &admin, json!({ "id": e2["id"] })).await;
    assert_eq!(r.0, 204);
    let r = call(b, "admin/emoji/delete", &admin, json!({ "id": e2["id"] })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_EMOJI")));
    let (_, remote) = call(b, "admin/emoji/list-remote", &admin, json!({})).await;
    assert_eq!(remote, json!([]));
    let (_, log) = call(b, "admin/show-moderation-logs", &admin, json!({})).await;
    assert_eq!(log[0]["type"], "deleteCustomEmoji");

    // A pack: exported into the caller's drive, imported back after the emoji went; a
    // decompression bomb in a pack adds nothing.
    let r = call(b, "export-custom-emojis", &admin, json!({})).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let mut pack = Value::Null;
    for _ in 0..100 {
        let (_, files) = call(b, "drive/stream", &admin, json!({ "type": "application/zip" })).await;
        if let Some(f) = files.as_array().and_then(|l| l.first()) {
            pack = f.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(pack["name"].as_str().is_some_and(|n| n.starts_with("custom-emojis-")), "{pack}");
    let url = pack["url"].as_str().unwrap();
    let zipped = client()
        .get(format!("{b}{}", &url[url.find("/files/").unwrap()..]))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zipped.to_vec())).unwrap();
    let meta: Value = serde_json::from_reader(archive.by_name("meta.json").unwrap()).unwrap();
    assert_eq!(
        (meta["metaVersion"].clone(), meta["emojis"][0]["emoji"]["name"].clone()),
        (json!(2), json!("blobcat")),
        "{meta}"
    );
    assert!(archive.by_name("blobcat.png").is_ok());
    // The exporter is told the pack is ready, as Misskey's clients expect.
    let (s, notes) = call(b, "i/notifications", &admin, json!({ "includeTypes": ["exportCompleted"] })).await;
    assert_eq!(s, 200, "{notes}");
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{notes}");
    let n = &notes[0];
    assert_eq!(
        (n["exportedEntity"].clone(), n["fileId"].clone()),
        (json!("customEmoji"), pack["id"].clone()),
        "{n}"
    );
    assert!(n.get("user").is_none(), "the instance's own notification: {n}");
    check_contract(&[("Notification", "exportCompleted", n.clone())]);
    call(b, "admin/emoji/delete", &admin, json!({ "id": e["id"] })).await;
    let r = call(b, "admin/emoji/import-zip", &admin, json!({ "fileId": pack["id"] })).await;
    assert_eq!(r.0, 204, "{}", r.1);
    let mut back = Value::Null;
    for _ in 0..100 {
        let (_, one) = api(b, "emoji", json!({ "name": "blobcat" })).await;
        if one["name"] == "blobcat" {
            back = one;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        (back["category"].as_str(), back["aliases"].clone()),
        (Some("cats"), json!(["cat", "blob"])),
        "{back}"
    );
    let bomb = {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflate =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("meta.json", deflate).unwrap();
        let meta = json!({ "metaVersion": 2, "emojis": [{ "downloaded": true, "fileName": "bomb.png", "emoji": { "name": "bomb" } }] });
        z.write_all(meta.to_string().as_bytes()).unwrap();
        z.start_file("bomb.png", deflate).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap().into_inner()
    };
    assert!(bomb.len() < 1 << 20, "the bomb is small: {}", bomb.len());
    let (s, bf) = upload(b, &admin, &[], "pack.zip", &bomb).await;
    assert_eq!(s, 200, "{bf}");
    let r = call(b, "admin/emoji/import-zip", &admin, json!({ "fileId": bf["id"] })).await;
    assert_eq!(r.0, 204);
    let r = call(b, "admin/emoji/import-zip", &admin, json!({ "fileId": img["id"] })).await;
    assert_eq!(r.0, 204, "not a pack: refused in the job, logged");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let r = api(b, "emoji", json!({ "name": "bomb" })).await;
    assert_eq!(code(&r), (400, Some("NO_SUCH_EMOJI")));
    assert_eq!(get(b, "/readyz").await.0, 200);

    check_contract(&[
        ("EmojisResponse", "emojis", list.clone()),
        ("EmojiResponse", "emoji", one.clone()),
        ("AdminEmojiAddResponse", "admin/emoji/add", e.clone()),
        ("AdminEmojiListResponse", "admin/emoji/list", managed.clone()),
        ("Note", "notes/show", shown.clone()),
    ]);
    server.stop();
}
