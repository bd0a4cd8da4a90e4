//! Takes metadata out of photos before they are stored: EXIF (with its GPS position, camera
//! serial numbers, dates) and XMP. A JPEG's orientation is kept, alone in a minimal EXIF block,
//! so the photo still shows the right way up.

/// The file without its metadata, or `None` when there was none to take out (or the container
/// is not one this reads: then the bytes are stored as they came).
pub fn strip_metadata(mime: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match mime {
        "image/jpeg" => strip_jpeg(bytes),
        "image/png" | "image/apng" => strip_png(bytes),
        "image/webp" => strip_webp(bytes),
        _ => None,
    }
}

fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    if b.len() < 4 || b[0] != 0xFF || b[1] != 0xD8 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..2]);
    let mut i = 2;
    let mut removed = false;
    let mut orientation = None;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        // Start of scan: the image data follows, copied as it is.
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let end = i.checked_add(2)?.checked_add(len)?;
        if len < 2 || end > b.len() {
            return None;
        }
        let payload = &b[i + 4..end];
        let is_exif = marker == 0xE1 && payload.starts_with(b"Exif\0\0");
        let is_xmp = marker == 0xE1 && payload.starts_with(b"http://ns.adobe.com/");
        if is_exif {
            orientation = orientation.or_else(|| exif_orientation(&payload[6..]));
            removed = true;
            if let Some(o) = orientation.filter(|&o| o != 1) {
                out.extend_from_slice(&minimal_exif(o));
            }
        } else if is_xmp {
            removed = true;
        } else {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
    }
    if !removed {
        return None;
    }
    out.extend_from_slice(&b[i.min(b.len())..]);
    Some(out)
}

/// Orientation (tag 0x0112) from the first IFD of a TIFF structure.
fn exif_orientation(t: &[u8]) -> Option<u16> {
    let big = match t.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let s = t.get(o..o.checked_add(2)?)?;
        Some(if big { u16::from_be_bytes([s[0], s[1]]) } else { u16::from_le_bytes([s[0], s[1]]) })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let s = t.get(o..o.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    };
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    for k in 0..count.min(512) {
        let e = ifd.checked_add(2)?.checked_add(k.checked_mul(12)?)?;
        if u16_at(e)? == 0x0112 {
            let v = u16_at(e + 8)?;
            return (1..=8).contains(&v).then_some(v);
        }
    }
    None
}

/// An APP1 segment whose EXIF holds the orientation and nothing else.
fn minimal_exif(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian, first IFD at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let len = (2 + 6 + tiff.len()) as u16;
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&len.to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !b.starts_with(SIG) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(SIG);
    let mut i = SIG.len();
    let mut removed = false;
    while i + 12 <= b.len() {
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let end = i.checked_add(12)?.checked_add(len)?;
        if end > b.len() {
            return None;
        }
        let kind = &b[i + 4..i + 8];
        let data = &b[i + 8..i + 8 + len];
        let xmp = matches!(kind, b"iTXt" | b"tEXt" | b"zTXt") && data.starts_with(b"XML:com.adobe.xmp");
        if kind == b"eXIf" || xmp {
            removed = true;
        } else {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            break;
        }
    }
    removed.then_some(out)
}

fn strip_webp(b: &[u8]) -> Option<Vec<u8>> {
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..12]);
    let mut i = 12;
    let mut removed = false;
    while i + 8 <= b.len() {
        let len = u32::from_le_bytes([b[i + 4], b[i + 5], b[i + 6], b[i + 7]]) as usize;
        let padded = len.checked_add(len & 1)?;
        let end = i.checked_add(8)?.checked_add(padded)?.min(b.len());
        match &b[i..i + 4] {
            b"EXIF" | b"XMP " => removed = true,
            b"VP8X" if len >= 10 && i + 8 + 10 <= b.len() => {
                let at = out.len();
                out.extend_from_slice(&b[i..end]);
                // Flags: no EXIF (bit 3), no XMP (bit 2) any more.
                out[at + 8] &= !0x0C;
            }
            _ => out.extend_from_slice(&b[i..end]),
        }
        i = end;
    }
    if !removed {
        return None;
    }
    let size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_exif(orientation: u16) -> Vec<u8> {
        let mut tiff = b"II\x2a\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&2u16.to_le_bytes());
        // GPSInfo pointer (0x8825), then Orientation.
        tiff.extend_from_slice(&0x8825u16.to_le_bytes());
        tiff.extend_from_slice(&4u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&100u32.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        tiff.extend_from_slice(b"GPS 35.6N 139.7E");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
        out
    }

    #[test]
    fn jpeg_exif_goes_and_orientation_stays() {
        let src = jpeg_with_exif(6);
        let out = strip_metadata("image/jpeg", &src).unwrap();
        assert!(!out.windows(3).any(|w| w == b"GPS"));
        let pos = out.windows(6).position(|w| w == b"Exif\0\0").unwrap();
        assert_eq!(exif_orientation(&out[pos + 6..]), Some(6));
        assert!(out.ends_with(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]));
        let plain = strip_metadata("image/jpeg", &jpeg_with_exif(1)).unwrap();
        assert!(!plain.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn broken_containers_are_left_alone() {
        assert!(strip_metadata("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]).is_none());
        assert!(strip_metadata("image/png", b"\x89PNG\r\n\x1a\n\0\0\xff\xffeXIf").is_none());
        assert!(strip_metadata("image/webp", b"RIFF\0\0\0\0WEBPEXIF\xff\xff\xff\xff").is_some());
    }
}
