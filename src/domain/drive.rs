//! The drive: users' files and folders. Every rule of a file lives here: names, the type read
//! from its bytes, the owner's allowed types, file size and capacity (role policies), the same
//! file uploaded twice, sensitivity, folders and their nesting, who may see, change or delete a
//! file, and which files a note or a profile may show. The client API and the CLI call these;
//! `media` reads and derives images, `storage` keeps bytes.

use super::events::{self, DriveChange, Event};
use super::policies::RolePolicies;
use super::{Error, FileAction, FolderAction, Refusal};
use crate::db::drive::{FileRow, FolderRow, NewFile};
use crate::db::schema::{drive_files, drive_folders, user_profiles};
use crate::db::DbPool;
use crate::media::{self, Kind, PixelBudget};
use crate::storage::{Meta, Storage, Temp};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Most characters of a file name.
pub const MAX_NAME: usize = 200;
/// Most characters of a file's comment (alt text).
pub const MAX_COMMENT: usize = 512;
/// Most characters of a folder name.
pub const MAX_FOLDER_NAME: usize = 200;
/// Most files one note shows.
pub const MAX_NOTE_FILES: usize = 16;
/// How deep folders are followed when looking for a loop.
const MAX_FOLDER_DEPTH: usize = 256;

/// The drive's machinery: where bytes go, how much decoding may run at once, and the public
/// address of stored files.
pub struct Drive {
    pub storage: Storage,
    pub pixels: PixelBudget,
    /// `https://host/files/`: a stored key appended is its public URL.
    pub files_url: String,
    /// The largest upload the server reads at all (the instance's `maxFileSize`).
    pub max_upload_bytes: u64,
}

/// Who owns a new file, as the rules need to know them.
pub struct Owner<'a> {
    pub id: &'a str,
    pub staff: bool,
    pub policies: &'a RolePolicies,
}

/// An upload as the client describes it; the bytes are in the temporary file.
#[derive(Default)]
pub struct Upload {
    pub name: Option<String>,
    pub folder_id: Option<String>,
    pub comment: Option<String>,
    pub sensitive: bool,
    /// Store it even when the owner already has the same bytes.
    pub force: bool,
}

/// The bytes of an upload, written and measured.
pub struct Received {
    pub temp: Temp,
    pub size: u64,
    pub md5: String,
}

/// Bytes arriving for a new file (an upload, a download): written to a temporary file, counted
/// and hashed on the way, refused past `max` bytes.
pub struct Receiving {
    temp: Temp,
    size: u64,
    md5: md5::Md5,
    max: u64,
}

impl Receiving {
    pub async fn start(storage: &Storage, max: u64) -> Result<Self, Error> {
        let temp = storage.temp().await.map_err(Error::internal)?;
        Ok(Receiving { temp, size: 0, md5: <md5::Md5 as md5::Digest>::new(), max })
    }

    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        use tokio::io::AsyncWriteExt;
        self.size = self.size.saturating_add(chunk.len() as u64);
        if self.size > self.max {
            return Err(Refusal::MaxFileSizeExceeded.into());
        }
        md5::Digest::update(&mut self.md5, chunk);
        self.temp.file().map_err(Error::internal)?.write_all(chunk).await.map_err(Error::internal)
    }

    pub async fn finish(mut self) -> Result<Received, Error> {
        use tokio::io::AsyncWriteExt;
        self.temp.file().map_err(Error::internal)?.flush().await.map_err(Error::internal)?;
        let md5 = data_encoding::HEXLOWER.encode(&md5::Digest::finalize(self.md5));
        Ok(Received { temp: self.temp, size: self.size, md5 })
    }
}

/// A file name's rule: not empty, at most [`MAX_NAME`] characters, no path separators or `..`.
pub fn valid_name(name: &str) -> bool {
    let n = name.trim();
    !n.is_empty()
        && n.chars().count() <= MAX_NAME
        && !n.contains(['/', '\\', '\0'])
        && !n.contains("..")
        && !n.chars().any(char::is_control)
}

/// The name a file is stored under: the one given (or "untitled"), with the extension of its
/// real type added unless it already has it (or the type is unknown, or an archive).
pub fn stored_name(given: Option<&str>, kind: &Kind) -> String {
    let base = given.map(str::trim).filter(|n| valid_name(n)).unwrap_or("untitled").to_string();
    let ext = kind.ext.as_str();
    let current = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let same = |e: &str| {
        e == ext || matches!((e, ext), ("jpeg", "jpg") | ("jpg", "jpeg") | ("tiff", "tif") | ("tif", "tiff"))
    };
    match current {
        _ if ext.is_empty() => base,
        Some(e) if same(&e) => base,
        _ if matches!(ext, "gz" | "tar" | "tgz" | "bz2" | "xz" | "zip" | "7z") => base,
        None => format!("{base}.{ext}"),
        Some(_) => format!("{base}.{ext}"),
    }
    .chars()
    .take(MAX_NAME + 8)
    .collect()
}

/// Whether a type is one of the policy's `uploadableFileTypes` (`*`, `*/*`, `type/*` or exact).
pub fn type_allowed(mime: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|a| match a.as_str() {
        "*" | "*/*" => true,
        a if a.ends_with("/*") => mime.starts_with(&a[..a.len() - 1]),
        a => a == mime,
    })
}

/// Bytes a user's stored files take (linked remote files do not count).
pub async fn usage(conn: &mut AsyncPgConnection, user: &str) -> Result<i64, Error> {
    let sum: Option<rows::Sum> = diesel::sql_query(
        "SELECT coalesce(sum(size), 0)::bigint AS total FROM drive_files WHERE user_id = $1 AND NOT is_link",
    )
    .bind::<diesel::sql_types::Varchar, _>(user)
    .get_result(conn)
    .await
    .optional()?;
    Ok(sum.map_or(0, |s| s.total))
}

mod rows {
    #[derive(diesel::QueryableByName)]
    pub struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub id: String,
    }

    #[derive(diesel::QueryableByName)]
    pub struct Sum {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub total: i64,
    }
}

/// The owner's capacity in bytes.
pub fn capacity(policies: &RolePolicies) -> i64 {
    i64::from(policies.drive_capacity_mb) * 1024 * 1024
}

async fn own_folder(
    conn: &mut AsyncPgConnection,
    user: &str,
    id: &str,
    action: FolderAction,
) -> Result<FolderRow, Error> {
    drive_folders::table
        .filter(drive_folders::id.eq(id).and(drive_folders::user_id.eq(user)))
        .select(FolderRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(Refusal::NoSuchFolder(action).into())
}

impl Drive {
    pub fn new(storage: Storage, pixel_budget_mp: u32, files_url: String, max_upload_bytes: u64) -> Self {
        Drive { storage, pixels: PixelBudget::new(pixel_budget_mp), files_url, max_upload_bytes }
    }

    /// The drive `cfg` describes: files in `drive.dir`, or in the bucket `drive.s3` names (then
    /// served from its `public_url` when there is one).
    pub fn from_config(cfg: &crate::config::Config) -> Result<Self, String> {
        let dir = cfg.drive.dir(&cfg.data_dir);
        let s3 = &cfg.drive.s3;
        let (storage, files_url) = if s3.enabled() {
            let url = if s3.public_url.is_empty() {
                format!("{}/files/", cfg.url.trim_end_matches('/'))
            } else {
                format!("{}/{}", s3.public_url.trim_end_matches('/'), s3.prefix)
            };
            (Storage::s3(dir, s3)?, url)
        } else {
            (Storage::local(dir), format!("{}/files/", cfg.url.trim_end_matches('/')))
        };
        Ok(Drive::new(storage, cfg.drive.decode_budget_megapixels, files_url, cfg.drive.max_file_bytes))
    }

    fn url(&self, key: &str) -> String {
        format!("{}{key}", self.files_url)
    }

    /// Stores an upload as a new drive file of `owner`, or answers the file they already have
    /// with the same bytes (unless `force`). Nothing is left behind when a rule refuses it.
    pub async fn add(
        &self,
        db: &DbPool,
        owner: Owner<'_>,
        up: Upload,
        got: Received,
    ) -> Result<FileRow, Error> {
        if let Some(n) = up.name.as_deref().map(str::trim).filter(|n| !n.is_empty() && *n != "blob") {
            if !valid_name(n) {
                return Err(Refusal::InvalidFileName(FileAction::Upload).into());
            }
        }
        if up.comment.as_deref().is_some_and(|c| c.chars().count() > MAX_COMMENT) {
            return Err(Error::invalid("comment", format!("at most {MAX_COMMENT} characters")));
        }
        let mut head = vec![0u8; 8192];
        let n = read_head(got.temp.path(), &mut head).await.map_err(Error::internal)?;
        head.truncate(n);
        let kind = media::sniff(&head);
        let mut conn = db.get().await?;
        if !up.force {
            let same: Option<FileRow> = drive_files::table
                .filter(drive_files::user_id.eq(owner.id).and(drive_files::md5.eq(&got.md5)))
                .select(FileRow::as_select())
                .first(&mut conn)
                .await
                .optional()?;
            if let Some(mut f) = same {
                if up.sensitive && !f.is_sensitive {
                    diesel::update(drive_files::table.find(&f.id))
                        .set(drive_files::is_sensitive.eq(true))
                        .execute(&mut conn)
                        .await?;
                    f.is_sensitive = true;
                }
                return Ok(f);
            }
        }
        if !owner.staff {
            if !type_allowed(&kind.mime, &owner.policies.uploadable_file_types) {
                return Err(Refusal::UnallowedFileType.into());
            }
            if got.size > u64::from(owner.policies.max_file_size_mb) * 1024 * 1024 {
                return Err(Refusal::MaxFileSizeExceeded.into());
            }
        }
        let used = usage(&mut conn, owner.id).await?;
        if used.saturating_add(i64::try_from(got.size).unwrap_or(i64::MAX)) > capacity(owner.policies) {
            return Err(Refusal::NoFreeSpace.into());
        }
        if let Some(folder) = &up.folder_id {
            own_folder(&mut conn, owner.id, folder, FolderAction::Upload).await?;
        }
        let always_nsfw: bool = user_profiles::table
            .find(owner.id)
            .select(user_profiles::always_mark_nsfw)
            .first(&mut conn)
            .await
            .optional()?
            .unwrap_or(false);
        drop(conn);

        // Images: metadata out, dimensions checked, derived versions made.
        let mut stripped = None;
        let mut derived = media::Derived::default();
        if media::is_decodable(&kind.mime) {
            let path = got
                .temp
                .path()
                .map(std::path::Path::to_path_buf)
                .ok_or_else(|| Error::internal("upload lost"))?;
            let unreadable = |e: media::MediaError| Error::invalid("file", e.to_string());
            // The size from the header alone; the bytes are read once this image's share of the
            // decoding budget is held, so waiting uploads hold nothing in memory.
            let (mime, header_path) = (kind.mime.clone(), path.clone());
            let dims = tokio::task::spawn_blocking(move || media::file_dimensions(&mime, &header_path))
                .await
                .map_err(|_| Error::internal("image processing failed"))?
                .map_err(unreadable)?;
            media::check_dimensions(dims).map_err(unreadable)?;
            let _share = self.pixels.acquire(dims).await;
            let bytes = tokio::fs::read(&path).await.map_err(Error::internal)?;
            let mime = kind.mime.clone();
            let (s, d) = tokio::task::spawn_blocking(move || {
                let s = media::strip_metadata(&mime, &bytes);
                let d = media::derive(&mime, s.as_deref().unwrap_or(&bytes));
                (s, d)
            })
            .await
            .map_err(|_| Error::internal("image processing failed"))?;
            derived = d.map_err(unreadable)?;
            stripped = s;
        }
        let (size, md5) = match &stripped {
            Some(b) => (b.len() as i64, md5_hex(b)),
            None => (i64::try_from(got.size).unwrap_or(i64::MAX), got.md5.clone()),
        };

        let id = crate::id::gen();
        let token = super::keys::random_token(32).to_ascii_lowercase();
        let key = if kind.ext.is_empty() { token.clone() } else { format!("{token}.{}", kind.ext) };
        let thumb_key =
            derived.thumbnail.as_ref().filter(|t| !t.is_empty()).map(|_| format!("thumbnail-{token}.webp"));
        let web_key =
            derived.webpublic.as_ref().filter(|t| !t.is_empty()).map(|_| format!("webpublic-{token}.webp"));
        let name = stored_name(up.name.as_deref().filter(|n| n.trim() != "blob"), &kind);
        let mut stored: Vec<String> = Vec::new();
        let put = async {
            let meta = Meta { mime: &kind.mime, name: &name };
            match &stripped {
                Some(b) => self.storage.put_bytes(&key, b, meta).await?,
                None => self.storage.put_file(&key, got.temp, meta).await?,
            }
            stored.push(key.clone());
            for (k, b) in [(&thumb_key, &derived.thumbnail), (&web_key, &derived.webpublic)] {
                if let (Some(k), Some(b)) = (k, b) {
                    self.storage.put_bytes(k, b, Meta { mime: "image/webp", name: k }).await?;
                    stored.push(k.clone());
                }
            }
            Ok::<_, std::io::Error>(())
        };
        if let Err(e) = put.await {
            self.remove_keys(&stored).await;
            return Err(Error::internal(format!("storing the file: {e}")));
        }
        let mut properties = serde_json::Map::new();
        if derived.width > 0 {
            properties.insert("width".into(), json!(derived.width));
            properties.insert("height".into(), json!(derived.height));
        }
        if let Some(o) = derived.orientation {
            properties.insert("orientation".into(), json!(o));
        }
        let url = self.url(&key);
        let thumb_url = thumb_key.as_deref().map(|k| self.url(k));
        let web_url = web_key.as_deref().map(|k| self.url(k));
        let sensitive = up.sensitive || always_nsfw || owner.policies.always_mark_nsfw;
        let row = NewFile {
            id: &id,
            created_at: Utc::now(),
            user_id: Some(owner.id),
            user_host: None,
            md5: &md5,
            name: &name,
            type_: &kind.mime,
            size,
            comment: up.comment.as_deref(),
            blurhash: derived.blurhash.as_deref(),
            properties: Value::Object(properties),
            url: &url,
            thumbnail_url: thumb_url.as_deref(),
            webpublic_url: web_url.as_deref(),
            webpublic_type: web_key.as_ref().map(|_| "image/webp"),
            access_key: Some(&key),
            thumbnail_access_key: thumb_key.as_deref(),
            webpublic_access_key: web_key.as_deref(),
            uri: None,
            src: None,
            folder_id: up.folder_id.as_deref(),
            is_sensitive: sensitive,
            is_link: false,
        };
        let inserted = async {
            let mut conn = db.get().await?;
            Ok::<_, Error>(
                diesel::insert_into(drive_files::table)
                    .values(&row)
                    .returning(FileRow::as_returning())
                    .get_result(&mut conn)
                    .await?,
            )
        };
        match inserted.await {
            Ok(f) => {
                events::emit(Event::Drive {
                    user: owner.id.to_string(),
                    change: DriveChange::FileCreated { id: f.id.clone() },
                });
                Ok(f)
            }
            Err(e) => {
                self.remove_keys(&stored).await;
                Err(e)
            }
        }
    }

    async fn remove_keys(&self, keys: &[String]) {
        for k in keys {
            if let Err(e) = self.storage.delete(k).await {
                tracing::warn!(key = %k, error = %e, "stored file not removed");
            }
        }
    }

    /// Stores what was fetched for `owner`'s `drive/files/upload-from-url` (`name`: the file name
    /// the URL gave).
    pub async fn add_fetched(
        &self,
        db: &DbPool,
        owner: &crate::db::users::UserRow,
        policies: &RolePolicies,
        mut up: Upload,
        got: Received,
        name: Option<String>,
    ) -> Result<FileRow, Error> {
        // A comment that only repeats the file's name says nothing.
        if up.comment.is_some() && up.comment == name {
            up.comment = None;
        }
        up.name = name;
        let staff = super::users::is_staff(owner);
        self.add(db, Owner { id: &owner.id, staff, policies }, up, got).await
    }

    /// Deletes a file: its bytes, its row (notes keep the id and stop showing it; avatars and
    /// banners that were it are unset). The owner or a moderator may; a moderator deleting
    /// someone else's file is logged.
    pub async fn delete(&self, db: &DbPool, actor: &Actor<'_>, id: &str) -> Result<FileRow, Error> {
        let mut conn = db.get().await?;
        let f = visible_file(&mut conn, actor, id, FileAction::Delete).await?;
        // The row, the profiles that showed it and the log entry go together; the bytes after.
        conn.transaction::<_, Error, _>(async |conn| {
            forget_profile_media(conn, std::slice::from_ref(&f.id)).await?;
            diesel::delete(drive_files::table.find(&f.id)).execute(conn).await?;
            if actor.staff && f.user_id.as_deref() != Some(actor.id) {
                let info = json!({ "fileId": f.id, "fileUserId": f.user_id });
                super::moderation::log(conn, actor.id, "deleteDriveFile", info).await?;
            }
            Ok(())
        })
        .await?;
        drop(conn);
        self.remove_keys(&f.keys()).await;
        if let Some(owner) = &f.user_id {
            events::emit(Event::Drive {
                user: owner.clone(),
                change: DriveChange::FileDeleted { id: f.id.clone() },
            });
        }
        Ok(f)
    }

    /// Deletes every file of a user (account deletion, moderators); answers how many.
    pub async fn delete_all_of(&self, db: &DbPool, user: &str) -> Result<usize, Error> {
        let mut n = 0;
        loop {
            let mut conn = db.get().await?;
            let batch: Vec<FileRow> = drive_files::table
                .filter(drive_files::user_id.eq(user))
                .select(FileRow::as_select())
                .limit(100)
                .load(&mut conn)
                .await?;
            if batch.is_empty() {
                return Ok(n);
            }
            let ids: Vec<String> = batch.iter().map(|f| f.id.clone()).collect();
            forget_profile_media(&mut conn, &ids).await?;
            diesel::delete(drive_files::table.filter(drive_files::id.eq_any(&ids)))
                .execute(&mut conn)
                .await?;
            drop(conn);
            for f in &batch {
                self.remove_keys(&f.keys()).await;
            }
            n += batch.len();
        }
    }
}

/// Profiles that show these files as avatar or banner show none any more.
async fn forget_profile_media(conn: &mut AsyncPgConnection, ids: &[String]) -> Result<(), Error> {
    use diesel::sql_types::{Array, Text};
    let changed: Vec<rows::Id> = diesel::sql_query(
        "UPDATE users SET \
           avatar_id = CASE WHEN avatar_id = ANY($1) THEN NULL ELSE avatar_id END, \
           avatar_url = CASE WHEN avatar_id = ANY($1) THEN NULL ELSE avatar_url END, \
           avatar_blurhash = CASE WHEN avatar_id = ANY($1) THEN NULL ELSE avatar_blurhash END, \
           banner_id = CASE WHEN banner_id = ANY($1) THEN NULL ELSE banner_id END, \
           banner_url = CASE WHEN banner_id = ANY($1) THEN NULL ELSE banner_url END, \
           banner_blurhash = CASE WHEN banner_id = ANY($1) THEN NULL ELSE banner_blurhash END \
         WHERE avatar_id = ANY($1) OR banner_id = ANY($1) RETURNING id",
    )
    .bind::<Array<Text>, _>(ids)
    .load(conn)
    .await?;
    for u in changed {
        events::emit(Event::MeUpdated { user: u.id });
    }
    Ok(())
}

async fn read_head(path: Option<&std::path::Path>, buf: &mut [u8]) -> std::io::Result<usize> {
    use tokio::io::AsyncReadExt;
    let Some(path) = path else { return Ok(0) };
    let mut f = tokio::fs::File::open(path).await?;
    let mut n = 0;
    while n < buf.len() {
        let got = f.read(&mut buf[n..]).await?;
        if got == 0 {
            break;
        }
        n += got;
    }
    Ok(n)
}

pub fn md5_hex(b: &[u8]) -> String {
    use md5::{Digest, Md5};
    data_encoding::HEXLOWER.encode(&Md5::digest(b))
}

/// Who acts on a file: its owner, or a moderator acting on anyone's.
pub struct Actor<'a> {
    pub id: &'a str,
    pub staff: bool,
}

/// Queues a `drive/files/upload-from-url`: `url` is fetched by a job, which ends with
/// `urlUploadFinished` (carrying `marker`) on the user's main channel.
pub async fn queue_from_url(
    conn: &mut AsyncPgConnection,
    user: &str,
    url: String,
    up: Upload,
    marker: Option<String>,
) -> Result<(), Error> {
    let parsed = url::Url::parse(&url).map_err(|e| Error::invalid("url", e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || url.len() > 2048 {
        return Err(Error::invalid("url", "an http(s) URL of at most 2048 characters"));
    }
    if up.comment.as_deref().is_some_and(|c| c.chars().count() > MAX_COMMENT) {
        return Err(Error::invalid("comment", format!("at most {MAX_COMMENT} characters")));
    }
    if marker.as_deref().is_some_and(|m| m.len() > 256) {
        return Err(Error::invalid("marker", "at most 256 characters"));
    }
    let job = super::jobs::Job::UploadFromUrl {
        user: user.to_string(),
        url,
        folder_id: up.folder_id,
        sensitive: up.sensitive,
        comment: up.comment,
        marker,
        force: up.force,
    };
    super::jobs::enqueue(conn, &[(job, Utc::now())]).await?;
    Ok(())
}

/// A file the actor may act on, or the refusal for `action`.
async fn visible_file(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: &str,
    action: FileAction,
) -> Result<FileRow, Error> {
    let f: FileRow = drive_files::table
        .find(id)
        .select(FileRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(Refusal::NoSuchDriveFile(action))?;
    if f.user_id.as_deref() != Some(actor.id) && !actor.staff {
        return Err(match action {
            // Not telling that someone else's file exists.
            FileAction::AttachedNotes => Refusal::NoSuchDriveFile(action),
            _ => Refusal::DriveFileDenied(action),
        }
        .into());
    }
    Ok(f)
}

/// A file by id or by one of its URLs, for its owner or a moderator.
pub async fn show(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: Option<&str>,
    url: Option<&str>,
) -> Result<FileRow, Error> {
    let id = match (id, url) {
        (Some(id), _) => id.to_string(),
        (None, Some(url)) => drive_files::table
            .filter(
                drive_files::url
                    .eq(url)
                    .or(drive_files::thumbnail_url.eq(url))
                    .or(drive_files::webpublic_url.eq(url)),
            )
            .select(drive_files::id)
            .first(conn)
            .await
            .optional()?
            .ok_or(Refusal::NoSuchDriveFile(FileAction::Show))?,
        (None, None) => return Err(Error::invalid("fileId", "fileId or url is required")),
    };
    visible_file(conn, actor, &id, FileAction::Show).await
}

/// The file a note or profile may use: the user's own (local users), by id.
pub async fn owned(conn: &mut AsyncPgConnection, user: &str, ids: &[String]) -> Result<Vec<FileRow>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<FileRow> = drive_files::table
        .filter(drive_files::id.eq_any(ids).and(drive_files::user_id.eq(user)))
        .select(FileRow::as_select())
        .load(conn)
        .await?;
    Ok(rows)
}

/// Checks the files a local note attaches: at most [`MAX_NOTE_FILES`], each the author's own.
pub async fn check_note_files(
    conn: &mut AsyncPgConnection,
    author: &str,
    ids: &[String],
) -> Result<(), Error> {
    if ids.len() > MAX_NOTE_FILES {
        return Err(Error::invalid("fileIds", format!("at most {MAX_NOTE_FILES} files")));
    }
    let found = owned(conn, author, ids).await?;
    if found.len() != ids.len() {
        return Err(Refusal::NoSuchFile.into());
    }
    Ok(())
}

/// Files by id (packing notes); missing ids are skipped.
pub async fn load(conn: &mut AsyncPgConnection, ids: &[String]) -> Result<HashMap<String, FileRow>, Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<FileRow> = drive_files::table
        .filter(drive_files::id.eq_any(ids))
        .select(FileRow::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|f| (f.id.clone(), f)).collect())
}

/// Changes to a file; `None` leaves a field as it is.
#[derive(Default)]
pub struct FileChanges {
    /// `Some(None)`: to the root.
    pub folder_id: Option<Option<String>>,
    pub name: Option<String>,
    pub sensitive: Option<bool>,
    pub comment: Option<Option<String>>,
}

pub async fn update(
    db: &DbPool,
    actor: &Actor<'_>,
    policies: &RolePolicies,
    id: &str,
    c: FileChanges,
) -> Result<FileRow, Error> {
    let mut conn = db.get().await?;
    let f = visible_file(&mut conn, actor, id, FileAction::Update).await?;
    let owner = f.user_id.clone().unwrap_or_default();
    if let Some(n) = &c.name {
        if !valid_name(n) {
            return Err(Refusal::InvalidFileName(FileAction::Update).into());
        }
    }
    if c.comment.as_ref().and_then(|c| c.as_deref()).is_some_and(|c| c.chars().count() > MAX_COMMENT) {
        return Err(Error::invalid("comment", format!("at most {MAX_COMMENT} characters")));
    }
    if let Some(Some(folder)) = &c.folder_id {
        own_folder(&mut conn, &owner, folder, FolderAction::MoveFile).await?;
    }
    if c.sensitive == Some(false) && f.is_sensitive && policies.always_mark_nsfw {
        return Err(Refusal::SensitiveByRole.into());
    }
    let row: FileRow = diesel::update(drive_files::table.find(&f.id))
        .set((
            drive_files::folder_id.eq(c.folder_id.unwrap_or(f.folder_id)),
            drive_files::name.eq(c.name.map(|n| n.trim().to_string()).unwrap_or(f.name)),
            drive_files::is_sensitive.eq(c.sensitive.unwrap_or(f.is_sensitive)),
            drive_files::comment.eq(c.comment.unwrap_or(f.comment)),
        ))
        .returning(FileRow::as_returning())
        .get_result(&mut conn)
        .await?;
    if actor.staff && actor.id != owner && c.sensitive.is_some_and(|s| s != f.is_sensitive) {
        let kind = if row.is_sensitive { "markSensitiveDriveFile" } else { "unmarkSensitiveDriveFile" };
        super::moderation::log(&mut conn, actor.id, kind, json!({ "fileId": row.id, "fileUserId": owner }))
            .await?;
    }
    events::emit(Event::Drive { user: owner, change: DriveChange::FileUpdated { id: row.id.clone() } });
    Ok(row)
}

/// Moves `user`'s files among `ids` into `folder` (none: the top), in one statement; ids of
/// other users' files and of missing ones are passed over, as Misskey does.
pub async fn move_files(db: &DbPool, user: &str, ids: &[String], folder: Option<&str>) -> Result<(), Error> {
    let mut conn = db.get().await?;
    if let Some(f) = folder {
        own_folder(&mut conn, user, f, FolderAction::MoveFile).await?;
    }
    let moved: Vec<String> = diesel::update(
        drive_files::table.filter(drive_files::id.eq_any(ids).and(drive_files::user_id.eq(user))),
    )
    .set(drive_files::folder_id.eq(folder))
    .returning(drive_files::id)
    .get_results(&mut conn)
    .await?;
    for id in moved {
        events::emit(Event::Drive { user: user.to_string(), change: DriveChange::FileUpdated { id } });
    }
    Ok(())
}

/// The notes that show a file (its owner or a moderator asks).
pub async fn attached_file(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: &str,
) -> Result<FileRow, Error> {
    visible_file(conn, actor, id, FileAction::AttachedNotes).await
}

// Folders.

pub async fn create_folder(
    conn: &mut AsyncPgConnection,
    user: &str,
    name: Option<String>,
    parent: Option<String>,
) -> Result<FolderRow, Error> {
    let name =
        name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).unwrap_or_else(|| "Untitled".into());
    check_folder_name(&name)?;
    if let Some(p) = &parent {
        own_folder(conn, user, p, FolderAction::CreateIn).await?;
    }
    let row = FolderRow {
        id: crate::id::gen(),
        created_at: Utc::now(),
        name,
        user_id: user.to_string(),
        parent_id: parent,
    };
    diesel::insert_into(drive_folders::table).values(&row).execute(conn).await?;
    events::emit(Event::Drive {
        user: user.to_string(),
        change: DriveChange::FolderCreated { id: row.id.clone() },
    });
    Ok(row)
}

fn check_folder_name(name: &str) -> Result<(), Error> {
    if name.chars().count() > MAX_FOLDER_NAME || name.contains('\0') {
        return Err(Error::invalid("name", format!("at most {MAX_FOLDER_NAME} characters")));
    }
    Ok(())
}

pub async fn show_folder(conn: &mut AsyncPgConnection, user: &str, id: &str) -> Result<FolderRow, Error> {
    own_folder(conn, user, id, FolderAction::Show).await
}

/// Renames or moves a folder; a folder cannot move into itself or below itself.
pub async fn update_folder(
    conn: &mut AsyncPgConnection,
    user: &str,
    id: &str,
    name: Option<String>,
    parent: Option<Option<String>>,
) -> Result<FolderRow, Error> {
    let f = own_folder(conn, user, id, FolderAction::Update).await?;
    let name = match name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()) {
        Some(n) => {
            check_folder_name(&n)?;
            n
        }
        None => f.name.clone(),
    };
    if let Some(Some(p)) = &parent {
        if p == id {
            return Err(Refusal::RecursiveNesting.into());
        }
        let mut at = match drive_folders::table
            .filter(drive_folders::id.eq(p).and(drive_folders::user_id.eq(user)))
            .select(drive_folders::parent_id)
            .first::<Option<String>>(conn)
            .await
            .optional()?
        {
            None => return Err(Refusal::NoSuchParentFolder.into()),
            Some(up) => up,
        };
        let mut depth = 0;
        while let Some(cur) = at {
            if cur == id || depth > MAX_FOLDER_DEPTH {
                return Err(Refusal::RecursiveNesting.into());
            }
            depth += 1;
            at = drive_folders::table
                .find(&cur)
                .select(drive_folders::parent_id)
                .first::<Option<String>>(conn)
                .await
                .optional()?
                .flatten();
        }
    }
    let row: FolderRow = diesel::update(drive_folders::table.find(id))
        .set((drive_folders::name.eq(name), drive_folders::parent_id.eq(parent.unwrap_or(f.parent_id))))
        .returning(FolderRow::as_returning())
        .get_result(conn)
        .await?;
    events::emit(Event::Drive {
        user: user.to_string(),
        change: DriveChange::FolderUpdated { id: row.id.clone() },
    });
    Ok(row)
}

/// Deletes an empty folder.
pub async fn delete_folder(conn: &mut AsyncPgConnection, user: &str, id: &str) -> Result<(), Error> {
    own_folder(conn, user, id, FolderAction::Delete).await?;
    let (files, folders) = children_counts(conn, id).await?;
    if files > 0 || folders > 0 {
        return Err(Refusal::FolderNotEmpty.into());
    }
    diesel::delete(drive_folders::table.find(id)).execute(conn).await?;
    events::emit(Event::Drive {
        user: user.to_string(),
        change: DriveChange::FolderDeleted { id: id.to_string() },
    });
    Ok(())
}

/// How many files and folders a folder holds directly.
pub async fn children_counts(conn: &mut AsyncPgConnection, id: &str) -> Result<(i64, i64), Error> {
    let files: i64 =
        drive_files::table.filter(drive_files::folder_id.eq(id)).count().get_result(conn).await?;
    let folders: i64 =
        drive_folders::table.filter(drive_folders::parent_id.eq(id)).count().get_result(conn).await?;
    Ok((files, folders))
}

/// A folder and its ancestors, nearest first (packing a folder in detail).
pub async fn ancestors(conn: &mut AsyncPgConnection, first: Option<String>) -> Result<Vec<FolderRow>, Error> {
    let mut out = Vec::new();
    let mut at = first;
    while let Some(id) = at {
        if out.len() > MAX_FOLDER_DEPTH {
            break;
        }
        let Some(f) = drive_folders::table
            .find(&id)
            .select(FolderRow::as_select())
            .first::<FolderRow>(conn)
            .await
            .optional()?
        else {
            break;
        };
        at = f.parent_id.clone();
        out.push(f);
    }
    Ok(out)
}

/// A user's avatar or banner: their own image file.
pub async fn profile_image(
    conn: &mut AsyncPgConnection,
    user: &str,
    id: &str,
    banner: bool,
) -> Result<FileRow, Error> {
    let (missing, not_image) = if banner {
        (Refusal::NoSuchBanner, Refusal::BannerNotImage)
    } else {
        (Refusal::NoSuchAvatar, Refusal::AvatarNotImage)
    };
    let f = owned(conn, user, &[id.to_string()]).await?.into_iter().next().ok_or(missing)?;
    if !f.type_.starts_with("image/") {
        return Err(not_image.into());
    }
    Ok(f)
}

/// A file another server shows with a note or profile, as its document describes it.
pub struct RemoteFile {
    pub url: String,
    /// The document's id, when it has one (else its URL).
    pub uri: Option<String>,
    pub mime: Option<String>,
    pub comment: Option<String>,
    pub sensitive: bool,
    pub blurhash: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// Most characters kept of a remote file's URL and alt text.
const MAX_REMOTE_URL: usize = 1024;

/// Records a remote user's file as a link (its bytes stay on its server; nothing is fetched):
/// the same document twice is one file. `None` when the URL is not an http(s) URL.
pub async fn record_remote(
    conn: &mut AsyncPgConnection,
    owner: &str,
    host: &str,
    f: RemoteFile,
) -> Result<Option<FileRow>, Error> {
    let ok_url = |u: &str| {
        u.len() <= MAX_REMOTE_URL && url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"))
    };
    if !ok_url(&f.url) {
        return Ok(None);
    }
    let uri = f.uri.filter(|u| ok_url(u)).unwrap_or_else(|| f.url.clone());
    let known: Option<FileRow> = drive_files::table
        .filter(drive_files::user_id.eq(owner).and(drive_files::uri.eq(&uri)))
        .select(FileRow::as_select())
        .first(conn)
        .await
        .optional()?;
    if let Some(k) = known {
        return Ok(Some(k));
    }
    let mime = f
        .mime
        .filter(|m| {
            m.len() <= 128 && m.contains('/') && !m.chars().any(|c| c.is_whitespace() || c.is_control())
        })
        .unwrap_or_else(|| "application/octet-stream".into());
    let name = f.url.rsplit('/').next().map(|n| n.split(['?', '#']).next().unwrap_or(n)).unwrap_or("");
    let name = if valid_name(name) { name.to_string() } else { "untitled".to_string() };
    let mut properties = serde_json::Map::new();
    if let (Some(w), Some(h)) = (f.width, f.height) {
        properties.insert("width".into(), json!(w));
        properties.insert("height".into(), json!(h));
    }
    let comment =
        f.comment.map(|c| c.chars().take(MAX_COMMENT).collect::<String>()).filter(|c| !c.is_empty());
    let blurhash = f.blurhash.filter(|b| b.len() <= 128 && b.is_ascii());
    let id = crate::id::gen();
    let md5 = md5_hex(uri.as_bytes());
    let row = NewFile {
        id: &id,
        created_at: Utc::now(),
        user_id: Some(owner),
        user_host: Some(host),
        md5: &md5,
        name: &name,
        type_: &mime,
        size: 0,
        comment: comment.as_deref(),
        blurhash: blurhash.as_deref(),
        properties: Value::Object(properties),
        url: &f.url,
        thumbnail_url: None,
        webpublic_url: None,
        webpublic_type: None,
        access_key: None,
        thumbnail_access_key: None,
        webpublic_access_key: None,
        uri: Some(&uri),
        src: Some(&f.url),
        folder_id: None,
        is_sensitive: f.sensitive,
        is_link: true,
    };
    Ok(Some(
        diesel::insert_into(drive_files::table)
            .values(&row)
            .returning(FileRow::as_returning())
            .get_result(conn)
            .await?,
    ))
}
