//! DriveFile and DriveFolder, as misskey-js defines them.

use super::iso;
use crate::db::drive::{FileRow, FolderRow};
use serde_json::{json, Value};

/// How much of a file to show.
#[derive(Clone, Copy, Default)]
pub struct FileOpts {
    /// The owner looks: the original URL and properties as stored.
    pub own: bool,
}

/// A packed DriveFile; `folder` and `user` are given packed when the caller wants them.
pub fn file(f: &FileRow, opts: FileOpts, folder: Option<Value>, user: Option<Value>) -> Value {
    let mut properties = f.properties.clone();
    if !opts.own {
        // Others see the dimensions as the image shows, not as its pixels are stored.
        if let Some(p) = properties.as_object_mut() {
            let turned = p.remove("orientation").and_then(|o| o.as_u64()).is_some_and(|o| o >= 5);
            if turned {
                let (w, h) = (p.remove("width"), p.remove("height"));
                if let (Some(w), Some(h)) = (w, h) {
                    p.insert("width".into(), h);
                    p.insert("height".into(), w);
                }
            }
        }
    }
    let url = if opts.own { f.url.clone() } else { f.webpublic_url.clone().unwrap_or_else(|| f.url.clone()) };
    let thumbnail = f.thumbnail_url.clone().or_else(|| {
        (f.is_link && crate::media::is_decodable(&f.type_))
            .then(|| f.webpublic_url.clone().unwrap_or_else(|| f.url.clone()))
    });
    let mut v = json!({
        "id": f.id,
        "createdAt": iso(f.created_at),
        "name": f.name,
        "type": f.type_,
        "md5": f.md5,
        "size": f.size,
        "isSensitive": f.is_sensitive,
        "blurhash": f.blurhash,
        "properties": properties,
        "url": url,
        "thumbnailUrl": thumbnail,
        "comment": f.comment,
        "folderId": f.folder_id,
        "folder": folder,
        "userId": f.user_id,
    });
    if let Some(u) = user {
        v["user"] = u;
    }
    v
}

/// A packed DriveFolder; `detail` adds the counts and the parent chain (nearest first).
pub fn folder(f: &FolderRow, detail: Option<(i64, i64, &[FolderRow])>) -> Value {
    let mut v = json!({
        "id": f.id,
        "createdAt": iso(f.created_at),
        "name": f.name,
        "parentId": f.parent_id,
    });
    if let Some((files, folders, ancestors)) = detail {
        v["filesCount"] = json!(files);
        v["foldersCount"] = json!(folders);
        if f.parent_id.is_some() {
            v["parent"] = ancestors.iter().rev().fold(Value::Null, |parent, a| {
                let mut p = folder(a, None);
                if !parent.is_null() {
                    p["parent"] = parent;
                }
                p
            });
        }
    }
    v
}

/// What `admin/drive/show-file` tells a moderator of a file: its stored row.
pub fn admin_file(f: &FileRow) -> Value {
    json!({
        "id": f.id,
        "createdAt": super::iso(f.created_at),
        "userId": f.user_id,
        "userHost": f.user_host,
        "md5": f.md5,
        "name": f.name,
        "type": f.type_,
        "size": f.size,
        "comment": f.comment,
        "blurhash": f.blurhash,
        "properties": f.properties,
        "storedInternal": !f.is_link,
        "url": f.url,
        "thumbnailUrl": f.thumbnail_url,
        "webpublicUrl": f.webpublic_url,
        "accessKey": f.access_key,
        "thumbnailAccessKey": f.thumbnail_access_key,
        "webpublicAccessKey": f.webpublic_access_key,
        "uri": f.uri,
        "src": f.src,
        "folderId": f.folder_id,
        "isSensitive": f.is_sensitive,
        "isLink": f.is_link,
        "maybeSensitive": false,
        "maybePorn": false,
        "requestIp": null,
        "requestHeaders": null,
    })
}
