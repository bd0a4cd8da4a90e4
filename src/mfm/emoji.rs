//! Unicode emoji detection with the same result as mfm-js.
//!
//! mfm-js matches `^(?:<emoji regex>)` (a non-unicode JS regex over UTF-16 code
//! units, with ordered alternation). The regex is compiled at dev time into the
//! static tables of `emoji_table.rs`; this file walks them with a tiny
//! continuation-passing backtracking matcher, which reproduces JS's
//! first-alternative-wins semantics exactly (longest match would differ).

use crate::mfm::emoji_table::{ALTS, FIRST};

/// One node of the compiled regex.
pub(crate) enum Re {
    /// A single UTF-16 code unit.
    Lit(u16),
    /// A character class as inclusive code-unit ranges.
    Class(&'static [(u16, u16)]),
    /// Concatenation.
    Seq(&'static [Re]),
    /// Ordered alternation: the first alternative that lets the rest match wins.
    Alt(&'static [Re]),
    /// Greedy `?`.
    Opt(&'static Re),
    /// Negative lookahead `(?!…)`.
    NotAhead(&'static Re),
}

/// Longest emoji sequence is ~ 15 code units; 40 leaves a wide margin.
const WINDOW: usize = 40;

fn m(re: &Re, s: &[u16], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match re {
        Re::Lit(c) => s.get(pos) == Some(c) && k(pos + 1),
        Re::Class(ranges) => match s.get(pos) {
            Some(&u) => ranges.iter().any(|&(lo, hi)| lo <= u && u <= hi) && k(pos + 1),
            None => false,
        },
        Re::Seq(items) => seq(items, s, pos, k),
        Re::Alt(alts) => alts.iter().any(|a| m(a, s, pos, k)),
        Re::Opt(inner) => m(inner, s, pos, k) || k(pos),
        Re::NotAhead(inner) => !m(inner, s, pos, &mut |_| true) && k(pos),
    }
}

fn seq(items: &[Re], s: &[u16], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match items.split_first() {
        None => k(pos),
        Some((head, rest)) => m(head, s, pos, &mut |p| seq(rest, s, p, k)),
    }
}

/// Bitmap of the BMP code points that can start an emoji (built once).
fn bmp_starts() -> &'static [u64; 1024] {
    static BITS: std::sync::OnceLock<Box<[u64; 1024]>> = std::sync::OnceLock::new();
    BITS.get_or_init(|| {
        let mut bits = Box::new([0u64; 1024]);
        for &(cp, _) in FIRST.iter().filter(|e| e.0 < 0x10000) {
            bits[(cp >> 6) as usize] |= 1 << (cp & 63);
        }
        bits
    })
}

/// Cheap test whether an emoji can start with this char (most text fails here).
#[inline]
pub(crate) fn may_start(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x10000 {
        bmp_starts()[(cp >> 6) as usize] & (1 << (cp & 63)) != 0
    } else {
        FIRST.binary_search_by_key(&cp, |e| e.0).is_ok()
    }
}

/// Length in bytes of the emoji regex match at the start of `s`, if any.
pub(crate) fn match_at(s: &str) -> Option<usize> {
    let first = s.chars().next()?;
    // The only emoji starting with an ASCII character are keycaps (`#`, `*`,
    // digits), which continue with U+FE0F or U+20E3.
    if first.is_ascii() && !s[1..].starts_with(['\u{fe0f}', '\u{20e3}']) {
        return None;
    }
    let mut buf = [0u16; 2];
    let idx = FIRST.binary_search_by_key(&(first as u32), |e| e.0).ok()?;
    // UTF-16 window plus the byte offset at which each code unit starts.
    let mut units = [0u16; WINDOW + 1];
    let mut starts = [0usize; WINDOW + 2];
    let mut n = 0;
    let mut end_bytes = 0;
    for (off, c) in s.char_indices() {
        // Emoji sequences never continue with an ASCII character.
        if n >= WINDOW || (n > 0 && c.is_ascii()) {
            break;
        }
        for u in c.encode_utf16(&mut buf) {
            units[n] = *u;
            starts[n] = off;
            n += 1;
        }
        end_bytes = off + c.len_utf8();
    }
    starts[n] = end_bytes;
    let units = &units[..n];
    for &alt in FIRST[idx].1 {
        let mut end = None;
        if m(&ALTS[alt as usize], units, 0, &mut |p| {
            end = Some(p);
            true
        }) {
            let end = end?;
            // A match ending inside a surrogate pair cannot be represented in
            // UTF-8; the generated regex never does that.
            if end < n && (0xdc00..0xe000).contains(&units[end]) {
                return None;
            }
            return Some(starts[end]);
        }
    }
    None
}
