//! What a file is and what is made of it: the type read from the bytes (never from the name or
//! the client's header), location and other metadata taken out of photos, and for images the
//! size, a blurhash, a thumbnail and a web version (both lossy WebP).
//!
//! Decoding is bounded: dimensions are read from the header first and refused past
//! [`MAX_SIDE`] / [`MAX_PIXELS`], the decoder has an allocation limit, and callers hold a share
//! of [`PixelBudget`] while an image is decoded, so concurrent uploads cannot multiply memory
//! without limit.

mod meta;

pub use meta::strip_metadata;

use image::{DynamicImage, GenericImageView, ImageDecoder, ImageReader, Limits};
use std::io::Cursor;

/// Longest side of an image that gets derived versions.
pub const MAX_SIDE: u32 = 16_383;
/// Most pixels of an image that gets derived versions (a 50-megapixel camera fits).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Thumbnails fit in this box (the size Misskey's clients lay out).
pub const THUMBNAIL_BOX: (u32, u32) = (498, 422);
/// Images larger than this on a side also get a web version of this size.
pub const WEBPUBLIC_SIDE: u32 = 2048;
const THUMBNAIL_QUALITY: f32 = 60.0;
const WEBPUBLIC_QUALITY: f32 = 85.0;

/// A type this server recognizes in a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub mime: String,
    /// File extension for storage keys, without the dot ("" when unknown).
    pub ext: String,
}

/// The type of a file from its first bytes. Text that is not a known format is `text/plain`
/// (SVG is recognized as such); anything else unknown is `application/octet-stream`.
pub fn sniff(head: &[u8]) -> Kind {
    if let Some(t) = infer::get(head) {
        return Kind { mime: t.mime_type().to_string(), ext: t.extension().to_string() };
    }
    if looks_like_text(head) {
        let lower = String::from_utf8_lossy(&head[..head.len().min(1024)]).to_ascii_lowercase();
        if lower.contains("<svg") {
            return Kind { mime: "image/svg+xml".into(), ext: "svg".into() };
        }
        return Kind { mime: "text/plain".into(), ext: "txt".into() };
    }
    Kind { mime: "application/octet-stream".into(), ext: String::new() }
}

fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    // A cut in the middle of a UTF-8 sequence at the end of the sample is not binary.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    };
    valid && !head.iter().any(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)))
}

/// Types a browser shows inline safely; everything else is served as an attachment.
pub fn is_inline_safe(mime: &str) -> bool {
    matches!(
        mime,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif" | "image/apng" | "image/bmp"
    ) || mime.starts_with("video/")
        || mime.starts_with("audio/")
        || mime == "text/plain"
}

/// Types the media proxy passes on from other servers: images, video and audio a browser shows
/// safely (never text, SVG or anything it could run).
pub fn is_proxyable(mime: &str) -> bool {
    is_inline_safe(mime)
        && (mime.starts_with("image/") || mime.starts_with("video/") || mime.starts_with("audio/"))
}

/// The `Content-Type` and `Content-Disposition` a stored file is served with, wherever it is
/// served from: a type a browser could run (HTML, SVG, anything unknown) is only ever a download
/// (SVG keeps its type so that `<img>` still shows it, where scripts never run).
pub fn served_as(mime: &str, name: &str) -> (String, String) {
    let inline = is_inline_safe(mime);
    let served = if inline || mime == "image/svg+xml" { mime } else { "application/octet-stream" };
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    let how = if inline { "inline" } else { "attachment" };
    (served.to_string(), format!("{how}; filename*=UTF-8''{enc}"))
}

/// The types decoded for size, blurhash and derived versions.
pub fn is_decodable(mime: &str) -> bool {
    matches!(mime, "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/apng")
}

/// What is learnt and made from an image.
#[derive(Debug, Default)]
pub struct Derived {
    pub width: u32,
    pub height: u32,
    /// EXIF orientation (1–8) of the original, when it has one other than 1.
    pub orientation: Option<u16>,
    pub blurhash: Option<String>,
    /// WebP thumbnail fitting [`THUMBNAIL_BOX`].
    pub thumbnail: Option<Vec<u8>>,
    /// WebP web version no larger than [`WEBPUBLIC_SIDE`], for images larger than that.
    pub webpublic: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error(
        "the image is {0}×{1} pixels; at most {MAX_SIDE} on a side and {MAX_PIXELS} pixels are accepted"
    )]
    TooLarge(u32, u32),
    #[error("the file says it is {0} but cannot be read as one: {1}")]
    Unreadable(String, String),
}

/// An image's dimensions from its header alone (nothing decoded).
pub fn dimensions(mime: &str, bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let unreadable = |e: image::ImageError| MediaError::Unreadable(mime.to_string(), e.to_string());
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| unreadable(e.into()))?
        .into_dimensions()
        .map_err(unreadable)
}

/// An image file's dimensions from its header alone (blocking: a few reads of the file).
pub fn file_dimensions(mime: &str, path: &std::path::Path) -> Result<(u32, u32), MediaError> {
    let unreadable = |e: image::ImageError| MediaError::Unreadable(mime.to_string(), e.to_string());
    ImageReader::open(path)
        .map_err(|e| unreadable(e.into()))?
        .with_guessed_format()
        .map_err(|e| unreadable(e.into()))?
        .into_dimensions()
        .map_err(unreadable)
}

/// Refuses dimensions past the limits.
pub fn check_dimensions((w, h): (u32, u32)) -> Result<(), MediaError> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(MediaError::TooLarge(w, h));
    }
    Ok(())
}

/// Decodes an image (the first frame of an animation) and makes its derived versions. CPU
/// work: call it from a blocking thread, holding a [`PixelBudget`] share for its pixels.
pub fn derive(mime: &str, bytes: &[u8]) -> Result<Derived, MediaError> {
    let unreadable = |e: image::ImageError| MediaError::Unreadable(mime.to_string(), e.to_string());
    let dims = dimensions(mime, bytes)?;
    check_dimensions(dims)?;
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| unreadable(e.into()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Room for the decoded frame (RGBA, 16 bits at most) and the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    let exif_orientation = orientation.map(orientation_number).filter(|&o| o != 1);
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let (width, height) = img.dimensions();
    // Each smaller version is made from the next larger one, by area averaging (memory for the
    // output only, no floating-point copy of the whole image).
    let web = (width > WEBPUBLIC_SIDE || height > WEBPUBLIC_SIDE)
        .then(|| img.thumbnail(WEBPUBLIC_SIDE, WEBPUBLIC_SIDE));
    let webpublic = web.as_ref().map(|w| encode_webp(w, WEBPUBLIC_QUALITY));
    let source = web.as_ref().unwrap_or(&img);
    let (tw, th) = THUMBNAIL_BOX;
    let thumb = if width > tw || height > th { source.thumbnail(tw, th) } else { source.clone() };
    drop(web);
    drop(img);
    let thumbnail = Some(encode_webp(&thumb, THUMBNAIL_QUALITY));
    let small = thumb.thumbnail(64, 64).to_rgba8();
    let blurhash = blurhash::encode(5, 4, small.width(), small.height(), small.as_raw()).ok();
    Ok(Derived { width, height, orientation: exif_orientation, blurhash, thumbnail, webpublic })
}

/// How the media proxy shows an image (Misskey's `/proxy` flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyMode {
    /// As it is.
    Original,
    /// Height 320 (`avatar=1`).
    Avatar,
    /// Height 128 (`emoji=1`).
    Emoji,
    /// Within 200×200 (`preview=1`).
    Preview,
    /// The first frame, as large as it is (`static=1`).
    Static,
    /// 96×96 (`badge=1`).
    Badge,
}

impl ProxyMode {
    /// Longest width and height of the result (`None`: no limit).
    fn bounds(self) -> Option<(u32, u32)> {
        match self {
            ProxyMode::Original | ProxyMode::Static => None,
            ProxyMode::Avatar => Some((u32::MAX, 320)),
            ProxyMode::Emoji => Some((u32::MAX, 128)),
            ProxyMode::Preview => Some((200, 200)),
            ProxyMode::Badge => Some((96, 96)),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            ProxyMode::Original => "original",
            ProxyMode::Avatar => "avatar",
            ProxyMode::Emoji => "emoji",
            ProxyMode::Preview => "preview",
            ProxyMode::Static => "static",
            ProxyMode::Badge => "badge",
        }
    }
}

/// Whether an image moves (GIF and APNG are taken as moving; WebP says so in its header).
pub fn is_animated(mime: &str, bytes: &[u8]) -> bool {
    match mime {
        "image/gif" | "image/apng" => true,
        "image/webp" => bytes.len() > 20 && &bytes[12..16] == b"VP8X" && bytes[20] & 0x02 != 0,
        _ => false,
    }
}

/// An image as the proxy shows it in `mode`: a WebP no larger than the mode allows (never
/// enlarged). CPU work, for a blocking thread holding a [`PixelBudget`] share.
pub fn proxy_image(mime: &str, bytes: &[u8], mode: ProxyMode) -> Result<Vec<u8>, MediaError> {
    let unreadable = |e: image::ImageError| MediaError::Unreadable(mime.to_string(), e.to_string());
    check_dimensions(dimensions(mime, bytes)?)?;
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| unreadable(e.into()))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let (w, h) = img.dimensions();
    let img = match mode.bounds() {
        Some((bw, bh)) if w > bw || h > bh => img.thumbnail(bw.min(w), bh.min(h)),
        _ => img,
    };
    Ok(encode_webp(&img, 80.0))
}

fn encode_webp(img: &DynamicImage, quality: f32) -> Vec<u8> {
    let (w, h) = img.dimensions();
    if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        webp::Encoder::from_rgba(rgba.as_raw(), w, h).encode(quality).to_vec()
    } else {
        let rgb = img.to_rgb8();
        webp::Encoder::from_rgb(rgb.as_raw(), w, h).encode(quality).to_vec()
    }
}

fn orientation_number(o: image::metadata::Orientation) -> u16 {
    use image::metadata::Orientation::*;
    match o {
        NoTransforms => 1,
        FlipHorizontal => 2,
        Rotate180 => 3,
        FlipVertical => 4,
        Rotate90FlipH => 5,
        Rotate90 => 6,
        Rotate270FlipH => 7,
        Rotate270 => 8,
    }
}

/// Memory for decoding, counted in megapixels: an image holds its share while it is decoded,
/// and waits while the others hold the rest. One image larger than the budget still runs,
/// alone.
pub struct PixelBudget {
    sem: tokio::sync::Semaphore,
    total: u32,
}

impl PixelBudget {
    pub fn new(megapixels: u32) -> Self {
        let total = megapixels.max(1);
        PixelBudget { sem: tokio::sync::Semaphore::new(total as usize), total }
    }

    pub async fn acquire(&self, (w, h): (u32, u32)) -> tokio::sync::SemaphorePermit<'_> {
        let mp = (u64::from(w) * u64::from(h)).div_ceil(1_000_000).clamp(1, u64::from(self.total)) as u32;
        // The semaphore is never closed.
        self.sem.acquire_many(mp).await.expect("pixel budget is never closed")
    }
}
