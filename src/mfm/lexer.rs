//! Character-level helpers for the parser: literal tests, mfm-js's newline /
//! line-begin / line-end / space definitions, and the "plain character" fast
//! path (characters that no rule can start on are consumed as text directly).

use crate::mfm::emoji;
use crate::mfm::parser::Parser;

/// ASCII bytes at which some rule may start (or that need a context check).
const fn special_table() -> [bool; 128] {
    let mut t = [false; 128];
    let special = b"<*_`\\>~$@#:?[h\r\n0123456789";
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
}
static SPECIAL: [bool; 128] = special_table();

impl Parser<'_> {
    #[inline]
    pub(crate) fn at(&self, p: usize, lit: &str) -> bool {
        self.b.get(p..p + lit.len()) == Some(lit.as_bytes())
    }

    /// ASCII-case-insensitive literal test (JS `/i` without `u` never folds
    /// non-ASCII characters onto ASCII letters).
    pub(crate) fn at_ci(&self, p: usize, lit: &str) -> bool {
        self.b.get(p..p + lit.len()).is_some_and(|s| s.eq_ignore_ascii_case(lit.as_bytes()))
    }

    #[inline]
    pub(crate) fn byte(&self, p: usize) -> Option<u8> {
        self.b.get(p).copied()
    }

    /// Length of the newline (`\r\n`, `\r` or `\n`) at `p`, or 0.
    #[inline]
    pub(crate) fn nl(&self, p: usize) -> usize {
        match self.byte(p) {
            Some(b'\r') => {
                if self.byte(p + 1) == Some(b'\n') {
                    2
                } else {
                    1
                }
            }
            Some(b'\n') => 1,
            _ => 0,
        }
    }

    pub(crate) fn line_begin(&self, p: usize) -> bool {
        p == 0 || matches!(self.byte(p - 1), Some(b'\r' | b'\n'))
    }

    pub(crate) fn line_end(&self, p: usize) -> bool {
        p >= self.len() || matches!(self.byte(p), Some(b'\r' | b'\n'))
    }

    /// Length of mfm-js's `space` (U+0020, U+3000 or tab) at `p`, or 0.
    pub(crate) fn space(&self, p: usize) -> usize {
        match self.byte(p) {
            Some(b' ' | b'\t') => 1,
            _ if self.at(p, "\u{3000}") => 3,
            _ => 0,
        }
    }

    #[inline]
    pub(crate) fn next_char(&self, p: usize) -> usize {
        match self.byte(p) {
            None => p,
            Some(b) if b < 0x80 => p + 1,
            Some(b) if b >= 0xf0 => p + 4,
            Some(b) if b >= 0xe0 => p + 3,
            Some(_) => p + 2,
        }
    }

    pub(crate) fn char_at(&self, p: usize) -> Option<char> {
        self.s.get(p..)?.chars().next()
    }

    /// mfm-js's `/[a-z0-9]$/i.test(input.slice(0, p))`.
    pub(crate) fn alnum_before(&self, p: usize) -> bool {
        p > 0 && self.b[p - 1].is_ascii_alphanumeric()
    }

    /// End of the longest run of ASCII bytes satisfying `f` from `p`.
    pub(crate) fn ascii_run(&self, p: usize, f: impl Fn(u8) -> bool) -> usize {
        let mut e = p;
        while e < self.len() && f(self.b[e]) {
            e += 1;
        }
        e
    }

    /// If no rule can start at `p`, the end of that one plain character.
    #[inline]
    pub(crate) fn plain_run_one(&self, p: usize) -> Option<usize> {
        let b = self.byte(p)?;
        if b < 0x80 {
            if !SPECIAL[b as usize] {
                return Some(p + 1);
            }
            if b == b'h' && !self.at(p, "http") {
                return Some(p + 1);
            }
            if b.is_ascii_digit() && !self.at(p + 1, "\u{fe0f}") && !self.at(p + 1, "\u{20e3}") {
                return Some(p + 1);
            }
            return None;
        }
        let c = self.char_at(p)?;
        if emoji::may_start(c) {
            None
        } else {
            Some(p + c.len_utf8())
        }
    }

    /// A run of plain characters from `p`. In full mode a line start is never
    /// plain, because block rules (search) may begin on any character there.
    pub(crate) fn plain_run(&self, p: usize, full: bool) -> Option<usize> {
        if full && self.line_begin(p) {
            return None;
        }
        let mut e = self.plain_run_one(p)?;
        while let Some(n) = self.plain_run_one(e) {
            e = n;
        }
        Some(e)
    }
}
