//! Block rules, only tried at the top level and inside quotes: `<center>`,
//! code blocks, `\[ … \]` math blocks, `> quote` and `query search` lines.
//! Each may begin with up to the newline(s) before it, which it swallows.

use crate::mfm::node::*;
use crate::mfm::parser::{CharScan, Out, Parser, Scan, FULL};

impl Parser<'_> {
    /// Position after an optional newline, if a line begins there.
    fn block_start(&self, p: usize) -> Option<usize> {
        let q = p + self.nl(p);
        self.line_begin(q).then_some(q)
    }

    pub(crate) fn center(&mut self, p: usize, d: u32, ll: bool, build: bool) -> Option<(usize, Out)> {
        let q = self.block_start(p)?;
        if !self.at(q, "<center>") {
            return None;
        }
        let r = q + 8;
        let r = r + self.nl(r);
        let e = self.scan(Scan::Center, r, d + 1, ll);
        if e == r || e >= self.len() {
            return None;
        }
        let close_end = e + self.nl(e) + 9;
        if !self.line_end(close_end) {
            return None;
        }
        let end = close_end + self.nl(close_end);
        if !build {
            return Some((end, Out::Skip));
        }
        let children = self.build_seq(r, e, d + 1, ll);
        Some((end, Out::Node(Node::Center { children })))
    }

    pub(crate) fn code_block(&mut self, p: usize, build: bool) -> Option<(usize, Out)> {
        let q = self.block_start(p)?;
        if !self.at(q, "```") {
            return None;
        }
        let lang_start = q + 3;
        let lang_end = self.ascii_run(lang_start, |b| b != b'\r' && b != b'\n');
        let n = self.nl(lang_end);
        if n == 0 {
            return None;
        }
        let body = lang_end + n;
        let e = self.char_stop(CharScan::CodeBody, body);
        if e == body || e >= self.len() {
            return None;
        }
        let close_end = e + self.nl(e) + 3;
        let end = close_end + self.nl(close_end);
        if !build {
            return Some((end, Out::Skip));
        }
        let lang = js_trim(&self.s[lang_start..lang_end]);
        let props = BlockCodeProps {
            code: self.s[body..e].to_string(),
            lang: (!lang.is_empty()).then(|| lang.to_string()),
        };
        Some((end, Out::Node(Node::BlockCode { props })))
    }

    pub(crate) fn math_block(&mut self, p: usize, build: bool) -> Option<(usize, Out)> {
        let q = self.block_start(p)?;
        if !self.at(q, "\\[") {
            return None;
        }
        let r = q + 2;
        let r = r + self.nl(r);
        let e = self.char_stop(CharScan::MathBlockBody, r);
        if e == r || e >= self.len() {
            return None;
        }
        let close_end = e + self.nl(e) + 2;
        if !self.line_end(close_end) {
            return None;
        }
        let end = close_end + self.nl(close_end);
        let node =
            build.then(|| Node::MathBlock { props: FormulaProps { formula: self.s[r..e].to_string() } });
        Some((end, node.map_or(Out::Skip, Out::Node)))
    }

    /// `> line` runs. The quoted lines (marker and one optional space removed)
    /// are joined and parsed again as a separate document one level deeper.
    pub(crate) fn quote(&mut self, p: usize, d: u32, build: bool) -> Option<(usize, Out)> {
        let mut q = p + self.nl(p);
        q += self.nl(q);
        if !self.line_begin(q) || self.byte(q) != Some(b'>') {
            return None;
        }
        let mut lines: Vec<(usize, usize)> = Vec::new();
        let mut i = q;
        loop {
            // i is at '>'
            let mut c = i + 1;
            c += self.space(c);
            let e = self.ascii_run(c, |b| b != b'\r' && b != b'\n');
            lines.push((c, e));
            i = e;
            let n = self.nl(i);
            if n > 0 && self.byte(i + n) == Some(b'>') {
                i += n;
            } else {
                break;
            }
        }
        if lines.len() == 1 && lines[0].0 == lines[0].1 {
            return None;
        }
        let mut end = i + self.nl(i);
        end += self.nl(end);
        if !build {
            return Some((end, Out::Skip));
        }
        let joined = lines.iter().map(|&(a, b)| &self.s[a..b]).collect::<Vec<_>>().join("\n");
        let depth = d + 1;
        let children = if depth < self.limit {
            let mut sub = Parser::new(&joined, self.limit);
            sub.parse_all(FULL, depth)
        } else if joined.is_empty() {
            Vec::new()
        } else {
            vec![Node::text(joined)]
        };
        Some((end, Out::Node(Node::Quote { children })))
    }

    /// `query search` / `query [検索]` on a line of its own.
    pub(crate) fn search(&mut self, p: usize, build: bool) -> Option<(usize, Out)> {
        let q = self.block_start(p)?;
        // Most lines have no button word at all: reject them with one pass.
        let line = &self.b[q..self.ascii_run(q, |b| b != b'\r' && b != b'\n')];
        let has_word = line.iter().enumerate().any(|(i, &b)| match b {
            b's' | b'S' => line[i..].get(..6).is_some_and(|w| w.eq_ignore_ascii_case(b"search")),
            0xe6 => line[i..].starts_with("検索".as_bytes()),
            _ => false,
        });
        if !has_word {
            return None;
        }
        let mut e = q;
        loop {
            if e >= self.len() || self.nl(e) > 0 {
                return None;
            }
            if let Some(b) = self.search_button(e) {
                if self.line_end(b) {
                    if e == q {
                        return None;
                    }
                    let end = b + self.nl(b);
                    let node = build.then(|| Node::Search {
                        props: SearchProps {
                            query: self.s[q..e].to_string(),
                            content: self.s[q..b].to_string(),
                        },
                    });
                    return Some((end, node.map_or(Out::Skip, Out::Node)));
                }
            }
            e = self.next_char(e);
        }
    }

    /// space then `[search]`, `[検索]`, `search` or `検索` (ASCII case-insensitive).
    fn search_button(&self, p: usize) -> Option<usize> {
        let sp = self.space(p);
        if sp == 0 {
            return None;
        }
        let b = p + sp;
        for (lit, n) in [("[search]", 8), ("[検索]", 8), ("search", 6), ("検索", 6)] {
            if self.at_ci(b, lit) {
                return Some(b + n);
            }
        }
        None
    }
}

/// JS `String.prototype.trim`: WhiteSpace and LineTerminator (adds U+FEFF to
/// Rust's White_Space set, and excludes U+0085 which JS does not trim).
pub(crate) fn js_trim(s: &str) -> &str {
    let ws = |c: char| c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}');
    s.trim_matches(ws)
}
