//! drive, drive/files/*, drive/folders/*, drive/stream: parse, call `domain::drive`, pack.
//! Uploads (`drive/files/create`) arrive as multipart forms; `upload` reads them.

use super::endpoint::{Ctx, Out};
use super::pack::drive::{self as pack, FileOpts};
use super::pack::notes as pack_notes;
use super::params::nullable;
use super::timelines::{paginate, Page};
use super::ApiError;
use crate::db::drive::{FileRow, FolderRow};
use crate::db::schema::{drive_files, drive_folders, notes};
use crate::domain::drive::{self as dom, Actor, FileChanges, Owner, Upload};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

fn actor(ctx: &Ctx) -> Result<Actor<'_>, ApiError> {
    let me = ctx.me()?;
    Ok(Actor { id: &me.id, staff: me.is_staff() })
}

/// Files packed for their owner, each with its folder when `with_folder`.
async fn pack_files(
    conn: &mut AsyncPgConnection,
    files: &[FileRow],
    with_folder: bool,
) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let folder = match (&f.folder_id, with_folder) {
            (Some(id), true) => Some(folder_detail(conn, id).await?),
            _ => None,
        };
        out.push(pack::file(f, FileOpts { own: true }, folder, None));
    }
    Ok(out)
}

async fn folder_detail(conn: &mut AsyncPgConnection, id: &str) -> Result<Value, ApiError> {
    let chain = dom::ancestors(conn, Some(id.to_string())).await?;
    packed_folder(conn, &chain, true).await
}

/// A folder in detail (counts and parents); `chain` is the folder and its ancestors.
async fn packed_folder(
    conn: &mut AsyncPgConnection,
    chain: &[FolderRow],
    detail: bool,
) -> Result<Value, ApiError> {
    let Some(f) = chain.first() else { return Ok(Value::Null) };
    if !detail {
        return Ok(pack::folder(f, None));
    }
    let (files, folders) = dom::children_counts(conn, &f.id).await?;
    Ok(pack::folder(f, Some((files, folders, &chain[1..]))))
}

pub async fn drive(ctx: Ctx, _: super::accounts::NoParams) -> Result<Out, ApiError> {
    let me = ctx.me()?;
    let policies = ctx.policies().await?;
    let usage = dom::usage(&mut *ctx.db().await?, &me.id).await?;
    Ok(json!({ "capacity": dom::capacity(&policies), "usage": usage }).into())
}

/// `type` filter: `image/*` matches a prefix, anything else exactly.
fn type_filter(t: &Option<String>) -> Result<Option<(bool, String)>, ApiError> {
    let Some(t) = t else { return Ok(None) };
    if t.is_empty() || t.len() > 128 || !t.chars().all(|c| c.is_ascii_alphanumeric() || "/-*.+".contains(c)) {
        return Err(ApiError::invalid_param("type", "a MIME type or a type/* pattern"));
    }
    Ok(Some(match t.strip_suffix("/*") {
        Some(prefix) => (true, format!("{}/%", prefix.replace(['%', '_'], ""))),
        None => (false, t.clone()),
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesParams {
    #[serde(flatten)]
    page: Page,
    /// The folder to list (null: the root).
    folder_id: Option<String>,
    /// A MIME type, or `type/*`.
    r#type: Option<String>,
    /// Order instead of the page's (Misskey's signs: `+` is descending).
    sort: Option<FileSort>,
}

#[derive(Deserialize, JsonSchema, Clone, Copy)]
pub enum FileSort {
    #[serde(rename = "+createdAt")]
    CreatedDesc,
    #[serde(rename = "-createdAt")]
    CreatedAsc,
    #[serde(rename = "+name")]
    NameDesc,
    #[serde(rename = "-name")]
    NameAsc,
    #[serde(rename = "+size")]
    SizeDesc,
    #[serde(rename = "-size")]
    SizeAsc,
}

async fn list_files(
    ctx: Ctx,
    page: &Page,
    folder: Option<Option<&str>>,
    t: &Option<String>,
    sort: Option<FileSort>,
) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let b = page.bounds(10)?;
    let mut q =
        drive_files::table.filter(drive_files::user_id.eq(&me)).select(FileRow::as_select()).into_boxed();
    match folder {
        Some(Some(f)) => q = q.filter(drive_files::folder_id.eq(f.to_string())),
        Some(None) => q = q.filter(drive_files::folder_id.is_null()),
        None => {}
    }
    match type_filter(t)? {
        Some((true, like)) => q = q.filter(drive_files::type_.like(like)),
        Some((false, exact)) => q = q.filter(drive_files::type_.eq(exact)),
        None => {}
    }
    let q = match sort {
        None => paginate!(q, drive_files::id, b),
        Some(s) => {
            let q = if let Some(lo) = &b.lower { q.filter(drive_files::id.gt(lo.clone())) } else { q };
            let q = if let Some(hi) = &b.upper { q.filter(drive_files::id.lt(hi.clone())) } else { q };
            match s {
                FileSort::CreatedDesc => q.order(drive_files::id.desc()),
                FileSort::CreatedAsc => q.order(drive_files::id.asc()),
                FileSort::NameDesc => q.order((drive_files::name.desc(), drive_files::id.desc())),
                FileSort::NameAsc => q.order((drive_files::name.asc(), drive_files::id.asc())),
                FileSort::SizeDesc => q.order((drive_files::size.desc(), drive_files::id.desc())),
                FileSort::SizeAsc => q.order((drive_files::size.asc(), drive_files::id.asc())),
            }
        }
    };
    let mut conn = ctx.db().await?;
    let rows: Vec<FileRow> = q.limit(b.limit).load(&mut conn).await?;
    Ok(Value::Array(pack_files(&mut conn, &rows, false).await?).into())
}

pub async fn files(ctx: Ctx, p: FilesParams) -> Result<Out, ApiError> {
    list_files(ctx, &p.page, Some(p.folder_id.as_deref()), &p.r#type, p.sort).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamParams {
    #[serde(flatten)]
    page: Page,
    /// A MIME type, or `type/*`.
    r#type: Option<String>,
}

pub async fn stream(ctx: Ctx, p: StreamParams) -> Result<Out, ApiError> {
    list_files(ctx, &p.page, None, &p.r#type, None).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShowParams {
    file_id: Option<String>,
    /// One of the file's URLs (original, thumbnail or web version).
    url: Option<String>,
}

pub async fn show(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    let a = actor(&ctx)?;
    let mut conn = ctx.db().await?;
    let f = dom::show(&mut conn, &a, p.file_id.as_deref(), p.url.as_deref()).await?;
    let folder = match &f.folder_id {
        Some(id) => Some(folder_detail(&mut conn, id).await?),
        None => None,
    };
    let owner = match &f.user_id {
        Some(u) => crate::db::users::load_one(&mut conn, u).await?,
        None => None,
    };
    let user = owner.map(|u| super::pack::users::lite(&ctx.state.config.url, &u));
    Ok(pack::file(&f, FileOpts { own: true }, folder, user).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateParams {
    file_id: String,
    /// Moves the file (null: to the root).
    #[serde(default, deserialize_with = "nullable")]
    folder_id: Option<Option<String>>,
    name: Option<String>,
    is_sensitive: Option<bool>,
    /// Alt text (null clears it), at most 512 characters.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(length(max = 512))]
    comment: Option<Option<String>>,
}

pub async fn update(ctx: Ctx, p: UpdateParams) -> Result<Out, ApiError> {
    let a = actor(&ctx)?;
    let policies = ctx.policies().await?;
    let changes =
        FileChanges { folder_id: p.folder_id, name: p.name, sensitive: p.is_sensitive, comment: p.comment };
    let f = dom::update(&ctx.state.db, &a, &policies, &p.file_id, changes).await?;
    Ok(pack::file(&f, FileOpts { own: true }, None, None).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileIdParams {
    file_id: String,
}

pub async fn delete(ctx: Ctx, p: FileIdParams) -> Result<Out, ApiError> {
    let a = actor(&ctx)?;
    ctx.state.drive.delete(&ctx.state.db, &a, &p.file_id).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindParams {
    name: String,
    folder_id: Option<String>,
}

pub async fn find(ctx: Ctx, p: FindParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut q = drive_files::table
        .filter(drive_files::user_id.eq(&me).and(drive_files::name.eq(&p.name)))
        .select(FileRow::as_select())
        .order(drive_files::id.desc())
        .limit(100)
        .into_boxed();
    q = match &p.folder_id {
        Some(f) => q.filter(drive_files::folder_id.eq(f)),
        None => q.filter(drive_files::folder_id.is_null()),
    };
    let mut conn = ctx.db().await?;
    let rows: Vec<FileRow> = q.load(&mut conn).await?;
    Ok(Value::Array(pack_files(&mut conn, &rows, false).await?).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HashParams {
    /// Hex MD5 of the file's bytes.
    #[schemars(length(max = 32))]
    md5: String,
}

async fn by_hash(ctx: &Ctx, md5: &str) -> Result<Vec<FileRow>, ApiError> {
    let me = ctx.me()?.id.clone();
    Ok(drive_files::table
        .filter(drive_files::user_id.eq(&me).and(drive_files::md5.eq(md5)))
        .select(FileRow::as_select())
        .order(drive_files::id.desc())
        .limit(100)
        .load(&mut *ctx.db().await?)
        .await?)
}

pub async fn find_by_hash(ctx: Ctx, p: HashParams) -> Result<Out, ApiError> {
    let rows = by_hash(&ctx, &p.md5).await?;
    Ok(Value::Array(pack_files(&mut *ctx.db().await?, &rows, false).await?).into())
}

pub async fn check_existence(ctx: Ctx, p: HashParams) -> Result<Out, ApiError> {
    Ok(json!(!by_hash(&ctx, &p.md5).await?.is_empty()).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachedParams {
    #[serde(flatten)]
    page: Page,
    file_id: String,
}

pub async fn attached_notes(ctx: Ctx, p: AttachedParams) -> Result<Out, ApiError> {
    let a = actor(&ctx)?;
    let b = p.page.bounds(10)?;
    let mut conn = ctx.db().await?;
    let f = dom::attached_file(&mut conn, &a, &p.file_id).await?;
    let q = notes::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("notes.file_ids @> ARRAY[")
                .bind::<diesel::sql_types::Text, _>(f.id.clone())
                .sql("]::varchar[]"),
        )
        .select(notes::id)
        .into_boxed();
    let ids: Vec<String> = paginate!(q, notes::id, b).limit(b.limit).load(&mut conn).await?;
    Ok(Value::Array(pack_notes::pack_ids(&mut conn, &ctx.state.config.url, ctx.me_id(), &ids).await?).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MoveBulkParams {
    /// 1 to 100 distinct ids.
    file_ids: super::params::AtMost<100, String>,
    folder_id: Option<String>,
}

pub async fn move_bulk(ctx: Ctx, p: MoveBulkParams) -> Result<Out, ApiError> {
    let a = actor(&ctx)?;
    let ids = p.file_ids.0;
    if ids.is_empty() {
        return Err(ApiError::invalid_param("fileIds", "at least one id"));
    }
    let mut seen = std::collections::HashSet::new();
    if !ids.iter().all(|i| seen.insert(i)) {
        return Err(ApiError::invalid_param("fileIds", "ids must be unique"));
    }
    dom::move_files(&ctx.state.db, a.id, &ids, p.folder_id.as_deref()).await?;
    Ok(().into())
}

// Folders.

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FoldersParams {
    #[serde(flatten)]
    page: Page,
    /// The parent folder (null: top-level folders).
    folder_id: Option<String>,
}

pub async fn folders(ctx: Ctx, p: FoldersParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let b = p.page.bounds(10)?;
    let mut q = drive_folders::table
        .filter(drive_folders::user_id.eq(&me))
        .select(FolderRow::as_select())
        .into_boxed();
    q = match &p.folder_id {
        Some(f) => q.filter(drive_folders::parent_id.eq(f)),
        None => q.filter(drive_folders::parent_id.is_null()),
    };
    let rows: Vec<FolderRow> =
        paginate!(q, drive_folders::id, b).limit(b.limit).load(&mut *ctx.db().await?).await?;
    Ok(Value::Array(rows.iter().map(|f| pack::folder(f, None)).collect()).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FolderCreateParams {
    /// At most 200 characters ("Untitled" when absent).
    #[schemars(length(max = 200))]
    name: Option<String>,
    parent_id: Option<String>,
}

pub async fn folder_create(ctx: Ctx, p: FolderCreateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let f = dom::create_folder(&mut *ctx.db().await?, &me, p.name, p.parent_id).await?;
    Ok(pack::folder(&f, None).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FolderIdParams {
    folder_id: String,
}

pub async fn folder_show(ctx: Ctx, p: FolderIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    let f = dom::show_folder(&mut conn, &me, &p.folder_id).await?;
    Ok(folder_detail(&mut conn, &f.id).await?.into())
}

pub async fn folder_delete(ctx: Ctx, p: FolderIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    dom::delete_folder(&mut *ctx.db().await?, &me, &p.folder_id).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FolderUpdateParams {
    folder_id: String,
    #[schemars(length(max = 200))]
    name: Option<String>,
    /// Moves the folder (null: to the top).
    #[serde(default, deserialize_with = "nullable")]
    parent_id: Option<Option<String>>,
}

pub async fn folder_update(ctx: Ctx, p: FolderUpdateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let f = dom::update_folder(&mut *ctx.db().await?, &me, &p.folder_id, p.name, p.parent_id).await?;
    Ok(pack::folder(&f, None).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FolderFindParams {
    name: String,
    parent_id: Option<String>,
}

pub async fn folder_find(ctx: Ctx, p: FolderFindParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut q = drive_folders::table
        .filter(drive_folders::user_id.eq(&me).and(drive_folders::name.eq(&p.name)))
        .select(FolderRow::as_select())
        .limit(100)
        .into_boxed();
    q = match &p.parent_id {
        Some(f) => q.filter(drive_folders::parent_id.eq(f)),
        None => q.filter(drive_folders::parent_id.is_null()),
    };
    let rows: Vec<FolderRow> = q.load(&mut *ctx.db().await?).await?;
    Ok(Value::Array(rows.iter().map(|f| pack::folder(f, None)).collect()).into())
}

// Uploads.

fn no() -> bool {
    false
}

/// The form fields of `drive/files/create` (the file itself is the `file` part).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateParams {
    folder_id: Option<String>,
    /// The file's name (the upload's own name when absent).
    name: Option<String>,
    /// Alt text, at most 512 characters.
    #[schemars(length(max = 512))]
    comment: Option<String>,
    #[serde(default = "no")]
    is_sensitive: bool,
    /// Store it even if the same bytes are already in the drive.
    #[serde(default = "no")]
    force: bool,
}

pub async fn create(ctx: Ctx, p: CreateParams) -> Result<Out, ApiError> {
    let me = ctx.me()?;
    let got = ctx.take_upload().ok_or_else(|| {
        ApiError::client("FILE_REQUIRED", "4267801e-70d1-416a-b011-4ee502885d8b", "File required.")
    })?;
    let policies = ctx.policies().await?;
    let owner = Owner { id: &me.id, staff: me.is_staff(), policies: &policies };
    let up = Upload {
        name: p.name.or(got.1),
        folder_id: p.folder_id,
        comment: p.comment,
        sensitive: p.is_sensitive,
        force: p.force,
    };
    let f = ctx.state.drive.add(&ctx.state.db, owner, up, got.0).await?;
    Ok(pack::file(&f, FileOpts { own: true }, None, None).into())
}

// Moderators.

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminFilesParams {
    #[serde(flatten)]
    page: Page,
    /// One user's files (then `origin` and `hostname` are not used).
    user_id: Option<String>,
    /// A MIME type, or `type/*`.
    r#type: Option<String>,
    #[serde(default)]
    origin: FileOrigin,
    /// Files of users of this server only.
    hostname: Option<String>,
}

/// Whose files: local users', remote users', or both.
#[derive(Deserialize, JsonSchema, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum FileOrigin {
    #[default]
    Local,
    Remote,
    Combined,
}

pub async fn admin_files(ctx: Ctx, p: AdminFilesParams) -> Result<Out, ApiError> {
    let b = p.page.bounds(10)?;
    let mut q = drive_files::table.select(FileRow::as_select()).into_boxed();
    if let Some(u) = &p.user_id {
        q = q.filter(drive_files::user_id.eq(u));
    } else {
        q = match p.origin {
            FileOrigin::Local => q.filter(drive_files::user_host.is_null()),
            FileOrigin::Remote => q.filter(drive_files::user_host.is_not_null()),
            FileOrigin::Combined => q,
        };
        if let Some(h) = &p.hostname {
            q = q.filter(drive_files::user_host.eq(h.to_ascii_lowercase()));
        }
    }
    match type_filter(&p.r#type)? {
        Some((true, like)) => q = q.filter(drive_files::type_.like(like)),
        Some((false, exact)) => q = q.filter(drive_files::type_.eq(exact)),
        None => {}
    }
    let mut conn = ctx.db().await?;
    let rows: Vec<FileRow> = paginate!(q, drive_files::id, b).limit(b.limit).load(&mut conn).await?;
    let owners: Vec<String> = rows.iter().filter_map(|f| f.user_id.clone()).collect();
    let users = crate::db::users::load(&mut conn, &owners).await?;
    let base = &ctx.state.config.url;
    Ok(Value::Array(
        rows.iter()
            .map(|f| {
                let user =
                    f.user_id.as_ref().and_then(|u| users.get(u)).map(|u| super::pack::users::lite(base, u));
                pack::file(f, FileOpts { own: true }, None, user)
            })
            .collect(),
    )
    .into())
}

pub async fn admin_show_file(ctx: Ctx, p: ShowParams) -> Result<Out, ApiError> {
    let a = actor(&ctx)?;
    let mut conn = ctx.db().await?;
    let f = dom::show(&mut conn, &a, p.file_id.as_deref(), p.url.as_deref()).await?;
    Ok(pack::admin_file(&f).into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserIdParams {
    user_id: String,
}

/// Removes every file of a user, in the background.
pub async fn admin_delete_all_files(ctx: Ctx, p: UserIdParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let mut conn = ctx.db().await?;
    crate::domain::moderation::delete_all_files(&mut conn, &me, &p.user_id).await?;
    Ok(().into())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FromUrlParams {
    /// An http(s) URL the server fetches.
    #[schemars(length(max = 2048))]
    url: String,
    folder_id: Option<String>,
    #[serde(default = "no")]
    is_sensitive: bool,
    /// Alt text, at most 512 characters.
    #[schemars(length(max = 512))]
    comment: Option<String>,
    /// Given back with the `urlUploadFinished` event.
    #[schemars(length(max = 256))]
    marker: Option<String>,
    #[serde(default = "no")]
    force: bool,
}

/// Queues the download; `urlUploadFinished` on the main channel tells when the file is in.
pub async fn upload_from_url(ctx: Ctx, p: FromUrlParams) -> Result<Out, ApiError> {
    let me = ctx.me()?.id.clone();
    let up = dom::Upload {
        name: None,
        folder_id: p.folder_id,
        comment: p.comment,
        sensitive: p.is_sensitive,
        force: p.force,
    };
    dom::queue_from_url(&mut *ctx.db().await?, &me, p.url, up, p.marker).await?;
    Ok(().into())
}
