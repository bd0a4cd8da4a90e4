//! Media across servers: the attachments of incoming notes recorded as (linked) drive files,
//! and files fetched by URL for `drive/files/upload-from-url`, through the guarded client.

use super::Federation;
use crate::db::users::UserRow;
use crate::domain::drive::{self, RemoteFile, Upload};
use crate::domain::events::{self, DriveChange, Event};
use crate::domain::Error;
use serde_json::Value;

/// Most attachments kept of one note.
const MAX_ATTACHMENTS: usize = drive::MAX_NOTE_FILES;

/// The URL of an attachment: a string, a Link, or a list of either (the first).
fn url_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(url_of),
        Value::Object(o) => o.get("href").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// What an attachment document says of its file.
pub fn remote_file(doc: &Value) -> Option<RemoteFile> {
    let url = doc.get("url").and_then(url_of).or_else(|| doc.as_str().map(str::to_string))?;
    let dim = |k: &str| doc.get(k).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
    Some(RemoteFile {
        uri: doc.get("id").and_then(Value::as_str).map(str::to_string),
        mime: doc.get("mediaType").and_then(Value::as_str).map(str::to_string),
        comment: doc.get("name").or_else(|| doc.get("summary")).and_then(Value::as_str).map(str::to_string),
        sensitive: doc.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
        blurhash: doc.get("blurhash").and_then(Value::as_str).map(str::to_string),
        width: dim("width"),
        height: dim("height"),
        url,
    })
}

/// Records the attachments of a remote note for its author; answers their ids in order.
pub async fn note_files(fed: &Federation, author: &UserRow, note: &Value) -> Result<Vec<String>, Error> {
    let Some(host) = author.host.as_deref() else { return Ok(vec![]) };
    let list: Vec<&Value> = match note.get("attachment") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => vec![],
    };
    let sensitive = note.get("sensitive").and_then(Value::as_bool).unwrap_or(false);
    let mut conn = fed.state.db.get().await?;
    let mut ids = Vec::new();
    for doc in list.into_iter().take(MAX_ATTACHMENTS) {
        let Some(mut f) = remote_file(doc) else { continue };
        f.sensitive |= sensitive;
        if let Some(row) = drive::record_remote(&mut conn, &author.id, host, f).await? {
            if !ids.contains(&row.id) {
                ids.push(row.id);
            }
        }
    }
    Ok(ids)
}

/// Fetches `url` into `user`'s drive (a `drive/files/upload-from-url` job), then tells the user's
/// main channel. A refusal (type, size, quota, unreachable or private address) is final: it is
/// logged, not retried.
pub async fn upload_from_url(
    fed: &Federation,
    user: &str,
    url: &str,
    up: Upload,
    marker: Option<String>,
) -> Result<(), Error> {
    let st = &fed.state;
    let mut conn = st.db.get().await?;
    let Some(owner) = crate::db::users::load_one(&mut conn, user).await? else { return Ok(()) };
    drop(conn);
    if owner.host.is_some() || owner.is_suspended {
        return Ok(());
    }
    let policies = st.policies.get(&st.db).await.map_err(Error::internal)?;
    let got = match download(fed, url).await {
        Ok(g) => g,
        Err(e) => {
            tracing::info!(user, url, error = %e, "upload from URL not fetched");
            return Ok(());
        }
    };
    let (received, name) = got;
    match st.drive.add_fetched(&st.db, &owner, &policies, up, received, name).await {
        Ok(f) => {
            events::emit(Event::Drive {
                user: owner.id.clone(),
                change: DriveChange::UrlUploadFinished { id: f.id, marker },
            });
            Ok(())
        }
        Err(e @ (Error::Unavailable(_) | Error::Internal(_))) => Err(e),
        Err(e) => {
            tracing::info!(user, url, error = ?e, "upload from URL refused");
            Ok(())
        }
    }
}

/// Fetches a file through the guarded client into a temporary file of the store; answers it
/// with the name its URL gives.
async fn download(fed: &Federation, url: &str) -> Result<(drive::Received, Option<String>), String> {
    let drive = &fed.state.drive;
    let mut res = fed.client.get_file(url).await.map_err(|e| e.to_string())?;
    if res.content_length().is_some_and(|n| n > drive.max_upload_bytes) {
        return Err("larger than the largest upload".into());
    }
    let name = res
        .url()
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .and_then(|n| percent_decode(&n))
        .filter(|n| drive::valid_name(n));
    let mut got = drive::Receiving::start(&drive.storage, drive.max_upload_bytes)
        .await
        .map_err(|e| format!("{e:?}"))?;
    while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
        got.push(&chunk).await.map_err(|e| format!("{e:?}"))?;
    }
    Ok((got.finish().await.map_err(|e| format!("{e:?}"))?, name))
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Records the custom emoji an activity or note of `host` names in its `tag`s.
pub async fn record_emoji(fed: &Federation, host: &str, doc: &Value) -> Result<(), Error> {
    let Some(tags) = doc.get("tag").and_then(Value::as_array) else { return Ok(()) };
    let emojis: Vec<&Value> =
        tags.iter().filter(|t| t.get("type").and_then(Value::as_str) == Some("Emoji")).take(64).collect();
    if emojis.is_empty() {
        return Ok(());
    }
    let mut conn = fed.state.db.get().await?;
    for t in emojis {
        let Some(name) = t.get("name").and_then(Value::as_str).map(|n| n.trim_matches(':').to_string())
        else {
            continue;
        };
        let icon = t.get("icon");
        let Some(url) = icon.and_then(|i| i.get("url")).and_then(url_of) else { continue };
        let e = crate::domain::emoji::RemoteEmoji {
            name,
            url,
            uri: t.get("id").and_then(Value::as_str).map(str::to_string),
            updated: t
                .get("updated")
                .and_then(Value::as_str)
                .and_then(|u| chrono::DateTime::parse_from_rfc3339(u).ok())
                .map(|d| d.with_timezone(&chrono::Utc)),
            mime: icon.and_then(|i| i.get("mediaType")).and_then(Value::as_str).map(str::to_string),
        };
        crate::domain::emoji::record_remote(&mut conn, host, e).await?;
    }
    Ok(())
}
