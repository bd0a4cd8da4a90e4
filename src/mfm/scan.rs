//! The two "repeat until a closing marker" primitives of the grammar:
//! element-level scans (`(notMatch(close) nest(inline))+`, memoised per
//! kind/depth/flag with path compression) and character-level scans
//! (`(notMatch(close) char)+`, answered from lazily built next-stop tables).
//! Both make repeated attempts from different openers cost O(1) each.

use crate::mfm::parser::{key, Parser};

/// Closing conditions of the element-level scans (`(notMatch(X) nest(inline))+`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Scan {
    Small,
    Bold,
    Italic,
    Strike,
    Big,
    BoldAsta,
    StrikeWave,
    Fn,
    Center,
    LinkLabel,
}

/// Closing conditions of the character-level scans (`(notMatch(X) char)+`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CharScan {
    PlainBody,
    UrlAltBody,
    CodeBody,
    InlineCode,
    MathBlockBody,
    MathInline,
}
const CHAR_SCANS: usize = 6;
const SCANS: usize = 10;
/// Next-stop tables: one per character-level scan, then one per element scan.
pub(crate) const STOP_TABLES: usize = CHAR_SCANS + SCANS;

impl Parser<'_> {
    /// `(notMatch(stop) nest(inline))*` from `start` with elements at depth
    /// `d`: returns where it stops (a closing position, or the input end).
    pub(crate) fn scan(&mut self, kind: Scan, start: usize, d: u32, ll: bool) -> usize {
        // No closing marker anywhere ahead: the scan can only run to the end
        // (this makes runs of unclosed openers cheap at every depth).
        if self.next_stop(CHAR_SCANS + kind as usize, start, |me, p| me.scan_stop(kind, p)) >= self.len() {
            return self.len();
        }
        let kid = kind as u64 + 1;
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        let mut p = start;
        let result = loop {
            if let Some(&e) = self.scan_memo.get(&key(p, d, ll, kid)) {
                break e as usize;
            }
            if p >= self.len() || self.scan_stop(kind, p) {
                break p;
            }
            // Only record the start and non-plain positions: scans started
            // later walk plain runs until they meet a recorded position.
            if p == start || self.plain_run_one(p).is_none() {
                path.push(p as u32);
            }
            p = self.elem_end(p, d, ll);
        };
        for &q in &path {
            self.scan_memo.insert(key(q as usize, d, ll, kid), result as u32);
        }
        self.path = path;
        result
    }

    fn scan_stop(&self, kind: Scan, p: usize) -> bool {
        match kind {
            Scan::Small => self.at(p, "</small>"),
            Scan::Bold => self.at(p, "</b>"),
            Scan::Italic => self.at(p, "</i>"),
            Scan::Strike => self.at(p, "</s>"),
            Scan::Big => self.at(p, "***"),
            Scan::BoldAsta => self.at(p, "**"),
            Scan::StrikeWave => self.at(p, "~~") || self.nl(p) > 0,
            Scan::Fn => self.at(p, "]"),
            Scan::Center => self.at(p, "</center>") || self.at(p + self.nl(p), "</center>"),
            Scan::LinkLabel => self.at(p, "]") || self.nl(p) > 0,
        }
    }

    /// First position >= `from` where the char-level scan `kind` stops, or the input end.
    pub(crate) fn char_stop(&mut self, kind: CharScan, from: usize) -> usize {
        self.next_stop(kind as usize, from, |me, p| me.char_scan_stop(kind, p))
    }

    /// First char boundary >= `from` where `stop` holds (or the input end),
    /// from a table built on first use by one backward pass.
    fn next_stop(&mut self, slot: usize, from: usize, stop: impl Fn(&Self, usize) -> bool) -> usize {
        if self.stop_tables[slot].is_none() {
            let n = self.len();
            let mut t = vec![n as u32; n + 1];
            for q in (0..n).rev() {
                let hit = self.s.is_char_boundary(q) && stop(self, q);
                t[q] = if hit { q as u32 } else { t[q + 1] };
            }
            self.stop_tables[slot] = Some(t);
        }
        self.stop_tables[slot].as_ref().map_or(self.len(), |t| t[from.min(self.len())] as usize)
    }

    fn char_scan_stop(&self, kind: CharScan, p: usize) -> bool {
        let b = self.b[p];
        match kind {
            CharScan::PlainBody => self.at(p, "</plain>") || self.at(p + self.nl(p), "</plain>"),
            CharScan::UrlAltBody => b == b'>' || self.space(p) > 0,
            CharScan::CodeBody => {
                let n = self.nl(p);
                n > 0 && self.at(p + n, "```") && self.line_end(p + n + 3)
            }
            CharScan::InlineCode => b == b'`' || b == b'\r' || b == b'\n' || self.at(p, "´"),
            CharScan::MathBlockBody => self.at(p, "\\]") || self.at(p + self.nl(p), "\\]"),
            CharScan::MathInline => self.at(p, "\\)") || b == b'\r' || b == b'\n',
        }
    }
}
