//! Where drive files' bytes live, by key. Keys are made by the server (random, with the type's
//! extension) and checked again here, so no key can name a path outside the store.
//!
//! The local store keeps files under one directory; uploads are written to its `.tmp`
//! directory first and renamed into place, so a file is either whole or absent. With an
//! S3-compatible bucket configured ([`s3`]), uploads still arrive in that local `.tmp` and are
//! then sent whole to the bucket, and objects are read and deleted there; an object the bucket
//! does not have is looked for in the local directory, so files stored before the switch to a
//! bucket stay served.

mod s3;

use std::io;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;

pub struct Storage {
    dir: PathBuf,
    bucket: Option<s3::Bucket>,
}

/// What an object is served as, stored with it where the store keeps such things (a bucket
/// whose objects browsers fetch directly).
#[derive(Clone, Copy)]
pub struct Meta<'a> {
    pub mime: &'a str,
    pub name: &'a str,
}

/// Part of a stored object, ready to send.
pub struct Object {
    /// The whole object's length.
    pub len: u64,
    /// First byte sent and how many.
    pub start: u64,
    pub count: u64,
    /// A range was asked for and is what is sent.
    pub partial: bool,
    pub body: Body,
}

/// The bytes to send: small ones read already, large ones as an open file or a bucket's answer.
pub enum Body {
    Bytes(Vec<u8>),
    File(tokio::io::Take<tokio::fs::File>),
    Stream(futures_util::stream::BoxStream<'static, io::Result<bytes::Bytes>>),
}

/// Objects (or parts) up to this size are read in one go rather than streamed.
const READ_AT_ONCE: u64 = 512 * 1024;

/// Whether `key` can name a stored object: letters, digits, '-', '_' and one '.' not first.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 200
        && !key.starts_with('.')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && key.matches('.').count() <= 1
}

fn bad_key() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a storage key")
}

impl Storage {
    pub fn local(dir: PathBuf) -> Self {
        Storage { dir, bucket: None }
    }

    /// Objects in the bucket `cfg` names; uploads pass through `dir`'s `.tmp`, and objects stored
    /// in `dir` before are still found there.
    pub fn s3(dir: PathBuf, cfg: &crate::config::S3Config) -> Result<Self, String> {
        Ok(Storage { dir, bucket: Some(s3::Bucket::new(cfg)?) })
    }

    /// Whether the store answers (a bucket: that it exists and the credentials are taken).
    pub async fn check(&self) -> Result<(), String> {
        match &self.bucket {
            Some(b) => b.check().await,
            None => {
                tokio::fs::create_dir_all(&self.dir).await.map_err(|e| format!("{}: {e}", self.dir.display()))
            }
        }
    }

    /// Where the store is, for logs.
    pub fn describe(&self) -> String {
        match &self.bucket {
            Some(b) => b.describe(),
            None => self.dir.display().to_string(),
        }
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        if !valid_key(key) {
            return Err(bad_key());
        }
        Ok(self.dir.join(key))
    }

    /// A new temporary file for an upload under way; it goes away when dropped unless
    /// [`Storage::put_file`] took it.
    pub async fn temp(&self) -> io::Result<Temp> {
        let tmp = self.dir.join(".tmp");
        tokio::fs::create_dir_all(&tmp).await?;
        let name: String = rand::Rng::sample_iter(rand::thread_rng(), &rand::distributions::Alphanumeric)
            .take(24)
            .map(char::from)
            .collect();
        let path = tmp.join(name);
        let file = tokio::fs::File::create(&path).await?;
        Ok(Temp { path: Some(path), file: Some(file) })
    }

    /// Moves a finished temporary file into place under `key`.
    pub async fn put_file(&self, key: &str, mut temp: Temp, meta: Meta<'_>) -> io::Result<()> {
        let to = self.path(key)?;
        drop(temp.file.take());
        if let Some(b) = &self.bucket {
            // The temporary file goes when `temp` is dropped, sent or not.
            let path = temp.path.as_deref().ok_or_else(bad_key)?;
            return b.put_file(key, path, meta).await;
        }
        let from = temp.path.take().ok_or_else(bad_key)?;
        match tokio::fs::rename(&from, &to).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = tokio::fs::remove_file(&from).await;
                Err(e)
            }
        }
    }

    pub async fn put_bytes(&self, key: &str, bytes: &[u8], meta: Meta<'_>) -> io::Result<()> {
        self.path(key)?;
        if let Some(b) = &self.bucket {
            return b.put_bytes(key, bytes.to_vec(), meta).await;
        }
        let mut temp = self.temp().await?;
        if let Some(f) = temp.file.as_mut() {
            tokio::io::AsyncWriteExt::write_all(f, bytes).await?;
            tokio::io::AsyncWriteExt::flush(f).await?;
        }
        self.put_file(key, temp, meta).await
    }

    /// Removes an object; one that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> io::Result<()> {
        if let Some(b) = &self.bucket {
            self.path(key)?;
            b.delete(key).await?;
        }
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The object, or the bytes `range` asks for (first and last, inclusive, as HTTP counts:
    /// see [`resolve_range`]); `None` when there is no such object.
    pub async fn open(&self, key: &str, range: Option<&str>) -> io::Result<Option<Result<Object, u64>>> {
        let path = match self.path(key) {
            Ok(p) => p,
            Err(_) => return Ok(None),
        };
        if let Some(b) = &self.bucket {
            if let Some(found) = b.open(key, range).await? {
                return Ok(Some(found));
            }
        }
        let range = range.map(str::to_string);
        // Opening, measuring and (for small objects) reading on one blocking thread.
        tokio::task::spawn_blocking(move || -> io::Result<Option<Result<Object, u64>>> {
            use std::io::{Read, Seek};
            let mut file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let len = file.metadata()?.len();
            let (start, count, partial) = match range.as_deref().map(|r| resolve_range(r, len)) {
                None | Some(Range::Ignored) => (0, len, false),
                Some(Range::Unsatisfiable) => return Ok(Some(Err(len))),
                Some(Range::Part(s, c)) => (s, c, true),
            };
            if start > 0 {
                file.seek(io::SeekFrom::Start(start))?;
            }
            let body = if count <= READ_AT_ONCE {
                let mut buf = Vec::with_capacity(count as usize);
                (&mut file).take(count).read_to_end(&mut buf)?;
                Body::Bytes(buf)
            } else {
                Body::File(tokio::fs::File::from_std(file).take(count))
            };
            Ok(Some(Ok(Object { len, start, count, partial, body })))
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Reads a whole object (for processing stored files again).
    pub async fn read(&self, key: &str) -> io::Result<Vec<u8>> {
        let path = self.path(key)?;
        if let Some(b) = &self.bucket {
            if let Some(bytes) = b.read(key).await? {
                return Ok(bytes);
            }
        }
        tokio::fs::read(path).await
    }

    /// Total bytes of the temporary files left by uploads a crash interrupted, removed.
    pub async fn sweep_temp(&self) -> io::Result<u64> {
        let mut freed = 0;
        let mut dir = match tokio::fs::read_dir(self.dir.join(".tmp")).await {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        while let Some(e) = dir.next_entry().await? {
            let old = e.metadata().await.ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
            if old.is_some_and(|d| d > std::time::Duration::from_secs(3600)) {
                freed += e.metadata().await.map(|m| m.len()).unwrap_or(0);
                let _ = tokio::fs::remove_file(e.path()).await;
            }
        }
        Ok(freed)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// An upload being written: a file under the store's `.tmp`, removed when dropped unless it was
/// put in place.
pub struct Temp {
    path: Option<PathBuf>,
    file: Option<tokio::fs::File>,
}

impl Temp {
    pub fn file(&mut self) -> io::Result<&mut tokio::fs::File> {
        self.file.as_mut().ok_or_else(bad_key)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Range {
    /// Not a form this serves (several ranges, other units): the whole object is sent.
    Ignored,
    Unsatisfiable,
    /// First byte and count.
    Part(u64, u64),
}

/// One `Range: bytes=…` header against an object of `len` bytes.
pub fn resolve_range(header: &str, len: u64) -> Range {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Range::Ignored;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        (true, true) => return Range::Ignored,
        // The last `b` bytes.
        (true, false) => match b.parse::<u64>() {
            Ok(0) => return Range::Unsatisfiable,
            Ok(n) => Some((len.saturating_sub(n), len.saturating_sub(1))),
            Err(_) => None,
        },
        (false, true) => a.parse::<u64>().ok().map(|s| (s, len.saturating_sub(1))),
        (false, false) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => Some((s, e.min(len.saturating_sub(1)))),
            _ => None,
        },
    };
    match parsed {
        None => Range::Ignored,
        Some((s, _)) if s >= len => Range::Unsatisfiable,
        Some((s, e)) => Range::Part(s, e - s + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_store() {
        for k in ["../etc/passwd", "a/b", ".tmp", "", "a..b", "x.y.z", "a\\b", "%2e%2e"] {
            assert!(!valid_key(k), "{k}");
        }
        assert!(valid_key("thumbnail-0a1b2c.webp"));
    }

    #[test]
    fn ranges() {
        assert_eq!(resolve_range("bytes=0-9", 100), Range::Part(0, 10));
        assert_eq!(resolve_range("bytes=90-", 100), Range::Part(90, 10));
        assert_eq!(resolve_range("bytes=-5", 100), Range::Part(95, 5));
        assert_eq!(resolve_range("bytes=-500", 100), Range::Part(0, 100));
        assert_eq!(resolve_range("bytes=50-500", 100), Range::Part(50, 50));
        assert_eq!(resolve_range("bytes=100-", 100), Range::Unsatisfiable);
        assert_eq!(resolve_range("bytes=5-1", 100), Range::Ignored);
        assert_eq!(resolve_range("bytes=0-1,5-6", 100), Range::Ignored);
        assert_eq!(resolve_range("items=0-1", 100), Range::Ignored);
        assert_eq!(resolve_range("bytes=-0", 100), Range::Unsatisfiable);
        assert_eq!(resolve_range("bytes=0-", 0), Range::Unsatisfiable);
    }
}
