//! Drive rows: folders and files.

use super::schema::{drive_files, drive_folders};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

/// A file row; also read from JSON (`row_to_json`), as statements that pack notes give the
/// files of each note.
#[derive(Queryable, Selectable, Clone, Debug, serde::Deserialize)]
#[diesel(table_name = drive_files)]
pub struct FileRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub user_id: Option<String>,
    pub user_host: Option<String>,
    pub md5: String,
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub size: i64,
    pub comment: Option<String>,
    pub blurhash: Option<String>,
    pub properties: Value,
    pub url: String,
    pub thumbnail_url: Option<String>,
    pub webpublic_url: Option<String>,
    pub webpublic_type: Option<String>,
    pub access_key: Option<String>,
    pub thumbnail_access_key: Option<String>,
    pub webpublic_access_key: Option<String>,
    pub uri: Option<String>,
    pub src: Option<String>,
    pub folder_id: Option<String>,
    pub is_sensitive: bool,
    pub is_link: bool,
}

#[derive(Insertable)]
#[diesel(table_name = drive_files)]
pub struct NewFile<'a> {
    pub id: &'a str,
    pub created_at: DateTime<Utc>,
    pub user_id: Option<&'a str>,
    pub user_host: Option<&'a str>,
    pub md5: &'a str,
    pub name: &'a str,
    pub type_: &'a str,
    pub size: i64,
    pub comment: Option<&'a str>,
    pub blurhash: Option<&'a str>,
    pub properties: Value,
    pub url: &'a str,
    pub thumbnail_url: Option<&'a str>,
    pub webpublic_url: Option<&'a str>,
    pub webpublic_type: Option<&'a str>,
    pub access_key: Option<&'a str>,
    pub thumbnail_access_key: Option<&'a str>,
    pub webpublic_access_key: Option<&'a str>,
    pub uri: Option<&'a str>,
    pub src: Option<&'a str>,
    pub folder_id: Option<&'a str>,
    pub is_sensitive: bool,
    pub is_link: bool,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = drive_folders)]
pub struct FolderRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub name: String,
    pub user_id: String,
    pub parent_id: Option<String>,
}

impl FileRow {
    /// The storage keys of its original and derived versions (none for a linked remote file).
    pub fn keys(&self) -> Vec<String> {
        [&self.access_key, &self.thumbnail_access_key, &self.webpublic_access_key]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}
