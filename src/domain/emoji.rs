//! Custom emoji: the instance's own, made from drive images by those whose role may manage
//! them, and the ones other servers use in their notes and reactions (recorded from their
//! `tag`s). Names, duplicates, which reactions a custom emoji can be, and the per-process list
//! of local emoji that reactions and clients read are decided here.

use super::events::{self, EmojiChange, Event};
use super::{Error, Refusal};
use crate::db::schema::{drive_files, emojis};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, Instant};

/// Longest emoji name.
pub const MAX_NAME: usize = 128;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = emojis)]
pub struct EmojiRow {
    pub id: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub name: String,
    pub host: Option<String>,
    pub category: Option<String>,
    pub original_url: String,
    pub public_url: String,
    pub uri: Option<String>,
    pub type_: Option<String>,
    pub aliases: Vec<String>,
    pub license: Option<String>,
    pub local_only: bool,
    pub is_sensitive: bool,
    pub role_ids_that_can_be_used_this_emoji_as_reaction: Vec<String>,
}

impl EmojiRow {
    /// The URL clients show.
    pub fn url(&self) -> &str {
        if self.public_url.is_empty() {
            &self.original_url
        } else {
            &self.public_url
        }
    }
}

/// Letters, digits and `_`, as Misskey's names are.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The local emoji, by name, as this process last read them (at most [`LOCAL_TTL`] ago, or
/// since a change here).
/// When the local list was read, and the list.
type LocalList = Option<(Instant, Arc<HashMap<String, EmojiRow>>)>;
static LOCAL: LazyLock<RwLock<LocalList>> = LazyLock::new(Default::default);
const LOCAL_TTL: Duration = Duration::from_secs(30);

pub async fn local(conn: &mut AsyncPgConnection) -> Result<Arc<HashMap<String, EmojiRow>>, Error> {
    if let Some((at, map)) = LOCAL.read().ok().and_then(|g| g.clone()) {
        if at.elapsed() < LOCAL_TTL {
            return Ok(map);
        }
    }
    let rows: Vec<EmojiRow> =
        emojis::table.filter(emojis::host.is_null()).select(EmojiRow::as_select()).load(conn).await?;
    let map = Arc::new(rows.into_iter().map(|e| (e.name.clone(), e)).collect::<HashMap<_, _>>());
    if let Ok(mut g) = LOCAL.write() {
        *g = Some((Instant::now(), map.clone()));
    }
    Ok(map)
}

/// Forgets the local list (after a change; other processes read it again within [`LOCAL_TTL`],
/// or at once when they hear the change).
pub fn forget_local() {
    if let Ok(mut g) = LOCAL.write() {
        *g = None;
    }
}

fn changed(change: EmojiChange, ids: Vec<String>, names: Vec<String>) {
    forget_local();
    events::emit(Event::Emoji { change, ids, names });
}

/// What an emoji is to be, as an administrator sets it; `None` leaves a field as it is.
#[derive(Default)]
pub struct Fields {
    pub name: Option<String>,
    pub file_id: Option<String>,
    pub category: Option<Option<String>>,
    pub aliases: Option<Vec<String>>,
    pub license: Option<Option<String>>,
    pub is_sensitive: Option<bool>,
    pub local_only: Option<bool>,
    pub roles: Option<Vec<String>>,
}

fn check_fields(f: &Fields) -> Result<(), Error> {
    if let Some(n) = &f.name {
        if !valid_name(n) {
            return Err(Error::invalid("name", "letters, digits and _ (at most 128)"));
        }
    }
    if let Some(a) = &f.aliases {
        if a.len() > 64 || a.iter().any(|x| x.chars().count() > 128 || x.contains('\0')) {
            return Err(Error::invalid("aliases", "at most 64 aliases of at most 128 characters"));
        }
    }
    if f.category.as_ref().and_then(|c| c.as_deref()).is_some_and(|c| c.chars().count() > 128) {
        return Err(Error::invalid("category", "at most 128 characters"));
    }
    if f.license.as_ref().and_then(|c| c.as_deref()).is_some_and(|c| c.chars().count() > 1024) {
        return Err(Error::invalid("license", "at most 1024 characters"));
    }
    if f.roles.as_ref().is_some_and(|r| r.len() > 64 || r.iter().any(|x| x.len() > 128)) {
        return Err(Error::invalid("roleIdsThatCanBeUsedThisEmojiAsReaction", "at most 64 role ids"));
    }
    Ok(())
}

/// The image of an emoji: a drive image file, its URLs and type.
async fn image(
    conn: &mut AsyncPgConnection,
    file_id: &str,
    missing: Refusal,
) -> Result<(String, String, String), Error> {
    let f: Option<(String, Option<String>, String, Option<String>)> = drive_files::table
        .find(file_id)
        .select((
            drive_files::url,
            drive_files::webpublic_url,
            drive_files::type_,
            drive_files::webpublic_type,
        ))
        .first(conn)
        .await
        .optional()?;
    let (url, web, t, web_t) = f.ok_or(missing)?;
    if !t.starts_with("image/") {
        return Err(Refusal::EmojiNotImage.into());
    }
    Ok((url.clone(), web.unwrap_or(url), web_t.unwrap_or(t)))
}

/// Whether a local emoji has this name.
async fn name_taken(conn: &mut AsyncPgConnection, name: &str) -> Result<bool, Error> {
    let n: i64 = emojis::table
        .filter(emojis::name.eq(name).and(emojis::host.is_null()))
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

/// Logs and announces a new local emoji.
async fn added(conn: &mut AsyncPgConnection, by: &str, row: EmojiRow) -> Result<EmojiRow, Error> {
    let info = serde_json::json!({ "emojiId": row.id, "emoji": row.name });
    super::moderation::log(conn, by, "addCustomEmoji", info).await?;
    changed(EmojiChange::Added, vec![row.id.clone()], vec![]);
    Ok(row)
}

/// Adds a local emoji from a drive image.
pub async fn add(conn: &mut AsyncPgConnection, by: &str, f: Fields) -> Result<EmojiRow, Error> {
    check_fields(&f)?;
    let name = f.name.clone().ok_or_else(|| Error::invalid("name", "required"))?;
    let file = f.file_id.clone().ok_or_else(|| Error::invalid("fileId", "required"))?;
    let (original, public, t) = image(conn, &file, Refusal::NoSuchEmojiFile).await?;
    if name_taken(conn, &name).await? {
        return Err(Refusal::DuplicateEmojiName.into());
    }
    let row: EmojiRow = diesel::insert_into(emojis::table)
        .values((
            emojis::id.eq(crate::id::gen()),
            emojis::updated_at.eq(Utc::now()),
            emojis::name.eq(&name),
            emojis::category.eq(f.category.flatten()),
            emojis::original_url.eq(original),
            emojis::public_url.eq(public),
            emojis::type_.eq(t),
            emojis::aliases.eq(clean_aliases(f.aliases.unwrap_or_default())),
            emojis::license.eq(f.license.flatten()),
            emojis::local_only.eq(f.local_only.unwrap_or(false)),
            emojis::is_sensitive.eq(f.is_sensitive.unwrap_or(false)),
            emojis::role_ids_that_can_be_used_this_emoji_as_reaction.eq(f.roles.unwrap_or_default()),
        ))
        .returning(EmojiRow::as_returning())
        .get_result(conn)
        .await?;
    added(conn, by, row).await
}

fn clean_aliases(a: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> =
        a.into_iter().map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect();
    out.dedup();
    out
}

/// Changes a local emoji, found by id (or by name when no id is given).
pub async fn update(
    conn: &mut AsyncPgConnection,
    by: &str,
    id: Option<&str>,
    f: Fields,
) -> Result<EmojiRow, Error> {
    check_fields(&f)?;
    let mut q = emojis::table.filter(emojis::host.is_null()).select(EmojiRow::as_select()).into_boxed();
    q = match (id, &f.name) {
        (Some(id), _) => q.filter(emojis::id.eq(id.to_string())),
        (None, Some(n)) => q.filter(emojis::name.eq(n.clone())),
        (None, None) => return Err(Error::invalid("id", "id or name is required")),
    };
    let old: EmojiRow = q.first(conn).await.optional()?.ok_or(Refusal::NoSuchEmojiToUpdate)?;
    let name = f.name.clone().unwrap_or_else(|| old.name.clone());
    if name != old.name && name_taken(conn, &name).await? {
        return Err(Refusal::SameNameEmojiExists.into());
    }
    let (original, public, t) = match &f.file_id {
        Some(file) => image(conn, file, Refusal::NoSuchEmojiFileToUpdate).await?,
        None => (old.original_url.clone(), old.public_url.clone(), old.type_.clone().unwrap_or_default()),
    };
    let row: EmojiRow = diesel::update(emojis::table.find(&old.id))
        .set((
            emojis::updated_at.eq(Utc::now()),
            emojis::name.eq(name),
            emojis::category.eq(f.category.unwrap_or(old.category.clone())),
            emojis::original_url.eq(original),
            emojis::public_url.eq(public),
            emojis::type_.eq(t),
            emojis::aliases.eq(f.aliases.map(clean_aliases).unwrap_or(old.aliases.clone())),
            emojis::license.eq(f.license.unwrap_or(old.license.clone())),
            emojis::local_only.eq(f.local_only.unwrap_or(old.local_only)),
            emojis::is_sensitive.eq(f.is_sensitive.unwrap_or(old.is_sensitive)),
            emojis::role_ids_that_can_be_used_this_emoji_as_reaction
                .eq(f.roles.unwrap_or(old.role_ids_that_can_be_used_this_emoji_as_reaction.clone())),
        ))
        .returning(EmojiRow::as_returning())
        .get_result(conn)
        .await?;
    let info = serde_json::json!({ "emojiId": row.id, "before": old.name, "after": row.name });
    super::moderation::log(conn, by, "updateCustomEmoji", info).await?;
    changed(EmojiChange::Updated, vec![row.id.clone()], vec![]);
    Ok(row)
}

pub async fn delete(conn: &mut AsyncPgConnection, by: &str, id: &str) -> Result<(), Error> {
    let old: EmojiRow = emojis::table
        .find(id)
        .select(EmojiRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(Refusal::NoSuchEmojiToDelete)?;
    diesel::delete(emojis::table.find(id)).execute(conn).await?;
    super::moderation::log(
        conn,
        by,
        "deleteCustomEmoji",
        serde_json::json!({ "emoji": old.name, "host": old.host }),
    )
    .await?;
    if old.host.is_none() {
        changed(EmojiChange::Deleted, vec![old.id], vec![old.name]);
    }
    Ok(())
}

/// Copies a remote emoji into the local set (its image stays where it is).
pub async fn copy(conn: &mut AsyncPgConnection, by: &str, id: &str) -> Result<EmojiRow, Error> {
    let src: EmojiRow = emojis::table
        .find(id)
        .filter(emojis::host.is_not_null())
        .select(EmojiRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(Refusal::NoSuchEmojiToCopy)?;
    if name_taken(conn, &src.name).await? {
        return Err(Refusal::DuplicateEmojiName.into());
    }
    let row: EmojiRow = diesel::insert_into(emojis::table)
        .values((
            emojis::id.eq(crate::id::gen()),
            emojis::updated_at.eq(Utc::now()),
            emojis::name.eq(&src.name),
            emojis::category.eq(&src.category),
            emojis::original_url.eq(&src.original_url),
            emojis::public_url.eq(src.url()),
            emojis::type_.eq(&src.type_),
            emojis::aliases.eq(&src.aliases),
            emojis::license.eq(&src.license),
            emojis::is_sensitive.eq(src.is_sensitive),
        ))
        .returning(EmojiRow::as_returning())
        .get_result(conn)
        .await?;
    added(conn, by, row).await
}

/// An emoji another server uses, as its `tag` describes it.
pub struct RemoteEmoji {
    pub name: String,
    pub url: String,
    pub uri: Option<String>,
    pub updated: Option<DateTime<Utc>>,
    pub mime: Option<String>,
}

/// Records (or refreshes) a remote server's emoji; the name is checked, the URL must be http(s).
pub async fn record_remote(conn: &mut AsyncPgConnection, host: &str, e: RemoteEmoji) -> Result<(), Error> {
    let ok_url =
        e.url.len() <= 1024 && url::Url::parse(&e.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !valid_name(&e.name) || !ok_url || host.len() > 512 {
        return Ok(());
    }
    let mime = e.mime.filter(|m| m.len() <= 64 && m.starts_with("image/"));
    let uri = e.uri.filter(|u| u.len() <= 1024);
    diesel::sql_query(
        "INSERT INTO emojis (id, updated_at, name, host, original_url, public_url, uri, type) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7) \
         ON CONFLICT (name, coalesce(host, '')) DO UPDATE SET original_url = EXCLUDED.original_url, \
           public_url = EXCLUDED.public_url, uri = EXCLUDED.uri, type = EXCLUDED.type, updated_at = EXCLUDED.updated_at \
         WHERE emojis.original_url IS DISTINCT FROM EXCLUDED.original_url",
    )
    .bind::<diesel::sql_types::Varchar, _>(crate::id::gen())
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, _>(e.updated.or(Some(Utc::now())))
    .bind::<diesel::sql_types::Varchar, _>(&e.name)
    .bind::<diesel::sql_types::Varchar, _>(host)
    .bind::<diesel::sql_types::Varchar, _>(&e.url)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Varchar>, _>(uri)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Varchar>, _>(mime)
    .execute(conn)
    .await?;
    Ok(())
}

/// A remote emoji by name and host.
pub async fn remote(conn: &mut AsyncPgConnection, name: &str, host: &str) -> Result<Option<EmojiRow>, Error> {
    Ok(emojis::table
        .filter(emojis::name.eq(name).and(emojis::host.eq(host)))
        .select(EmojiRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// What a `:name:` (or `:name@host:`) reaction by `reacter` (of `reacter_host`) becomes: the emoji's
/// stored form when it exists for them and the note takes it, else `None` (the fallback).
pub async fn reaction(
    conn: &mut AsyncPgConnection,
    requested: &str,
    reacter: &str,
    reacter_host: Option<&str>,
    acceptance: Option<&str>,
) -> Result<Option<(String, String)>, Error> {
    let Some(inner) = requested.strip_prefix(':').and_then(|r| r.strip_suffix(':')) else { return Ok(None) };
    let (name, host) = match inner.split_once('@') {
        Some((n, h)) => (n, Some(h)),
        None => (inner, None),
    };
    let non_sensitive_only =
        matches!(acceptance, Some("nonSensitiveOnly" | "nonSensitiveOnlyForLocalLikeOnlyForRemote"));
    match reacter_host {
        // A local user reacts with a local emoji (`:name:` or `:name@.:`).
        None => {
            if host.is_some_and(|h| h != ".") {
                return Ok(None);
            }
            let local = local(conn).await?;
            let Some(e) = local.get(name) else { return Ok(None) };
            if non_sensitive_only && e.is_sensitive {
                return Ok(None);
            }
            // An emoji kept for some roles is for their holders only.
            let only_for = &e.role_ids_that_can_be_used_this_emoji_as_reaction;
            if !only_for.is_empty() {
                let facts = super::roles::facts(conn, reacter).await?.unwrap_or_default();
                let roles = super::roles::snapshot(conn).await?;
                let held = roles.held_ids(&facts);
                if !only_for.iter().any(|r| held.contains(&r.as_str())) {
                    return Ok(None);
                }
            }
            Ok(Some((format!(":{name}@.:"), e.url().to_string())))
        }
        // A remote user reacts with an emoji of their own server, recorded from the activity.
        Some(h) => {
            let Some(e) = remote(conn, name, h).await? else { return Ok(None) };
            if (non_sensitive_only && e.is_sensitive) || super::federation::silenced(h) {
                return Ok(None);
            }
            Ok(Some((format!(":{name}@{h}:"), e.url().to_string())))
        }
    }
}

/// Local emoji used in a text, for the `tag` of an activity.
pub async fn used_local(conn: &mut AsyncPgConnection, names: &[String]) -> Result<Vec<EmojiRow>, Error> {
    if names.is_empty() {
        return Ok(vec![]);
    }
    let local = local(conn).await?;
    Ok(names.iter().filter_map(|n| local.get(n).filter(|e| !e.local_only).cloned()).collect())
}

// Emoji packs: a zip with `meta.json` and the images, as Misskey exports and imports them.

/// Most emoji read from one pack; the largest image and `meta.json` read from one; the most
/// bytes read from one pack in all (decompression bombs stop there).
const PACK_MAX_EMOJI: usize = 5000;
const PACK_MAX_IMAGE: u64 = 10 * 1024 * 1024;
const PACK_MAX_META: u64 = 4 * 1024 * 1024;
const PACK_MAX_TOTAL: u64 = 512 * 1024 * 1024;

/// One emoji of a pack, with its image.
pub struct PackEntry {
    pub name: String,
    pub category: Option<String>,
    pub aliases: Vec<String>,
    pub license: Option<String>,
    pub is_sensitive: bool,
    pub local_only: bool,
    pub file_name: String,
    pub image: Vec<u8>,
}

/// Writes a pack: `meta.json` (Misskey's version 2) and each image that is here.
pub fn write_pack(host: &str, emojis: &[(EmojiRow, Option<Vec<u8>>)]) -> Result<Vec<u8>, Error> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut meta = Vec::new();
    for (e, image) in emojis {
        let ext = e.type_.as_deref().and_then(|t| t.strip_prefix("image/")).unwrap_or("png");
        let file_name = format!("{}.{}", e.name, ext.split('+').next().unwrap_or("png"));
        if let Some(bytes) = image {
            zip.start_file(file_name.as_str(), stored).map_err(Error::internal)?;
            zip.write_all(bytes).map_err(Error::internal)?;
        }
        meta.push(serde_json::json!({
            "downloaded": image.is_some(),
            "fileName": file_name,
            "emoji": {
                "id": e.id, "updatedAt": e.updated_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                "name": e.name, "host": e.host, "category": e.category, "originalUrl": e.original_url,
                "publicUrl": e.public_url, "uri": e.uri, "type": e.type_, "aliases": e.aliases, "license": e.license,
                "localOnly": e.local_only, "isSensitive": e.is_sensitive,
                "roleIdsThatCanBeUsedThisEmojiAsReaction": e.role_ids_that_can_be_used_this_emoji_as_reaction,
            },
        }));
    }
    let doc = serde_json::json!({
        "metaVersion": 2,
        "host": host,
        "exportedAt": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "emojis": meta,
    });
    let deflated =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("meta.json", deflated).map_err(Error::internal)?;
    zip.write_all(doc.to_string().as_bytes()).map_err(Error::internal)?;
    Ok(zip.finish().map_err(Error::internal)?.into_inner())
}

/// Reads a pack: the emoji its `meta.json` lists with their images. Entries that are missing,
/// too large or unnamed are left out; reading stops at [`PACK_MAX_TOTAL`] bytes.
pub fn read_pack(bytes: &[u8]) -> Result<Vec<PackEntry>, Error> {
    use std::io::Read;
    let bad = |why: &str| Error::invalid("fileId", format!("not an emoji pack: {why}"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| bad("not a zip file"))?;
    let mut total = 0u64;
    let mut read =
        |zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str, max: u64| -> Option<Vec<u8>> {
            let f = zip.by_name(name).ok()?;
            let mut out = Vec::new();
            // What the entry says of its size is not trusted: at most `max` bytes are inflated.
            f.take(max + 1).read_to_end(&mut out).ok()?;
            total = total.saturating_add(out.len() as u64);
            (out.len() as u64 <= max && total <= PACK_MAX_TOTAL).then_some(out)
        };
    let meta = read(&mut zip, "meta.json", PACK_MAX_META).ok_or_else(|| bad("no readable meta.json"))?;
    let meta: serde_json::Value = serde_json::from_slice(&meta).map_err(|_| bad("meta.json is not JSON"))?;
    let list = meta
        .get("emojis")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| bad("meta.json lists no emojis"))?;
    let mut out = Vec::new();
    for item in list.iter().take(PACK_MAX_EMOJI) {
        let e = &item["emoji"];
        let (Some(name), Some(file_name)) = (e["name"].as_str(), item["fileName"].as_str()) else { continue };
        if !valid_name(name) || item["downloaded"] == serde_json::Value::Bool(false) {
            continue;
        }
        let Some(image) = read(&mut zip, file_name, PACK_MAX_IMAGE) else { continue };
        let text = |k: &str| e[k].as_str().map(str::to_string).filter(|s| !s.is_empty());
        out.push(PackEntry {
            name: name.to_string(),
            category: text("category"),
            aliases: e["aliases"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).take(64).collect())
                .unwrap_or_default(),
            license: text("license"),
            is_sensitive: e["isSensitive"].as_bool().unwrap_or(false),
            local_only: e["localOnly"].as_bool().unwrap_or(false),
            file_name: file_name.rsplit('/').next().unwrap_or(file_name).to_string(),
            image,
        });
    }
    Ok(out)
}

/// Exports the local emoji as a pack into `user`'s drive; answers the file.
pub async fn export(
    db: &crate::db::DbPool,
    drive: &super::drive::Drive,
    user: &str,
    host: &str,
) -> Result<crate::db::drive::FileRow, Error> {
    let rows: Vec<EmojiRow> = {
        let mut conn = db.get().await?;
        emojis::table
            .filter(emojis::host.is_null())
            .order(emojis::name.asc())
            .select(EmojiRow::as_select())
            .load(&mut conn)
            .await?
    };
    let mut with_images = Vec::with_capacity(rows.len());
    for e in rows {
        // Images stored here are read from the store; others are listed, not downloaded.
        let image = match e.original_url.strip_prefix(drive.files_url.as_str()) {
            Some(key) => drive.storage.read(key).await.ok(),
            None => None,
        };
        with_images.push((e, image));
    }
    let host = host.to_string();
    let pack = tokio::task::spawn_blocking(move || write_pack(&host, &with_images))
        .await
        .map_err(|_| Error::internal("writing the pack failed"))??;
    let mut got = super::drive::Receiving::start(&drive.storage, u64::MAX).await?;
    got.push(&pack).await?;
    let policies = super::policies::RolePolicies::default();
    // The server makes this file: neither the type rules nor the size limit of uploads apply.
    let owner = super::drive::Owner { id: user, staff: true, policies: &policies };
    let name = format!("custom-emojis-{}.zip", Utc::now().format("%Y-%m-%d-%H%M%S"));
    let up = super::drive::Upload { name: Some(name), force: true, ..Default::default() };
    let file = drive.add(db, owner, up, got.finish().await?).await?;
    let done = super::notify::Notice {
        file_id: Some(&file.id),
        exported_entity: Some("customEmoji"),
        ..super::notify::Notice::from_instance(user, "exportCompleted")
    };
    // The pack is made: a notification that cannot be stored is not worth a second pack.
    let told = async { super::notify::send(&mut *db.get().await?, done).await };
    if let Err(e) = told.await {
        tracing::warn!(user, error = ?e, "exportCompleted not stored");
    }
    Ok(file)
}

/// Imports a pack (a zip in `user`'s drive) as local emoji: names already taken are kept as
/// they are; answers how many were added.
pub async fn import(
    db: &crate::db::DbPool,
    drive: &super::drive::Drive,
    user: &str,
    file_id: &str,
) -> Result<usize, Error> {
    let file = {
        let mut conn = db.get().await?;
        super::drive::owned(&mut conn, user, &[file_id.to_string()]).await?.into_iter().next()
    };
    let key = file.and_then(|f| f.access_key).ok_or(Refusal::NoSuchEmojiFile)?;
    let bytes = drive.storage.read(&key).await.map_err(Error::internal)?;
    let entries = tokio::task::spawn_blocking(move || read_pack(&bytes))
        .await
        .map_err(|_| Error::internal("reading the pack failed"))??;
    let policies = super::policies::RolePolicies::default();
    let mut added_count = 0;
    for e in entries {
        let mut conn = db.get().await?;
        if name_taken(&mut conn, &e.name).await? {
            continue;
        }
        drop(conn);
        let mut got = super::drive::Receiving::start(&drive.storage, PACK_MAX_IMAGE).await?;
        got.push(&e.image).await?;
        let owner = super::drive::Owner { id: user, staff: true, policies: &policies };
        let up = super::drive::Upload { name: Some(e.file_name.clone()), ..Default::default() };
        let f = match drive.add(db, owner, up, got.finish().await?).await {
            Ok(f) => f,
            Err(Error::Refused(_) | Error::Invalid { .. }) => continue,
            Err(other) => return Err(other),
        };
        let fields = Fields {
            name: Some(e.name),
            file_id: Some(f.id),
            category: Some(e.category),
            aliases: Some(e.aliases),
            license: Some(e.license),
            is_sensitive: Some(e.is_sensitive),
            local_only: Some(e.local_only),
            roles: None,
        };
        match add(&mut *db.get().await?, user, fields).await {
            Ok(_) => added_count += 1,
            Err(Error::Refused(_) | Error::Invalid { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(added_count)
}
