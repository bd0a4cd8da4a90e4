//! Reference-like rules: `@mention`, `#hashtag`, bare and `<bracketed>` URLs,
//! and `[label](url)` / `?[label](url)` links. None of them may start inside
//! a link label (mfm-js's `linkLabel` state flag, `ll` here).

use crate::mfm::node::*;
use crate::mfm::parser::{CharScan, Out, Parser, Scan};

fn is_url_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".,_/:%#@$&?!~=+-".contains(&b)
}

/// Characters that end a hashtag (besides newlines).
const HASHTAG_STOP: &[char] = &[
    ' ', '\u{3000}', '\t', '.', ',', '!', '?', '\'', '"', '#', ':', '/', '[', ']', '【', '】', '(', ')',
    '「', '」', '（', '）', '<', '>',
];

impl Parser<'_> {
    pub(crate) fn mention(&mut self, p: usize, ll: bool, build: bool) -> Option<(usize, Out)> {
        if ll || self.byte(p) != Some(b'@') {
            return None;
        }
        let name_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
        let ns = p + 1;
        let ne = self.ascii_run(ns, name_char);
        if ne == ns {
            return None;
        }
        let mut result_end = ne;
        let mut host = None;
        if self.byte(ne) == Some(b'@') {
            let he = self.ascii_run(ne + 1, name_char);
            if he > ne + 1 {
                host = Some(&self.s[ne + 1..he]);
                result_end = he;
            }
        }
        if self.alnum_before(p) {
            return None;
        }
        let strip = |s: &str| s.trim_end_matches(['.', '-']).len();
        let username = &self.s[ns..ne];
        let mut invalid = false;
        let mut mhost = host.map(|h| &h[..strip(h)]);
        if mhost == Some("") {
            invalid = true;
            mhost = None;
        }
        let mut mname = username;
        if strip(username) != username.len() {
            if mhost.is_none() {
                mname = &username[..strip(username)];
            } else {
                invalid = true;
            }
        }
        let bad_start = |s: &str| s.starts_with(['.', '-']);
        if mname.is_empty() || bad_start(mname) || mhost.is_some_and(bad_start) {
            invalid = true;
        }
        if invalid {
            return Some((result_end, Out::Text));
        }
        let acct_len = 1 + mname.len() + mhost.map_or(0, |h| 1 + h.len());
        if !build {
            return Some((p + acct_len, Out::Skip));
        }
        let acct = match mhost {
            Some(h) => format!("@{mname}@{h}"),
            None => format!("@{mname}"),
        };
        let props = MentionProps { username: mname.to_string(), host: mhost.map(str::to_string), acct };
        Some((p + acct_len, Out::Node(Node::Mention { props })))
    }

    fn hashtag_char(&self, p: usize) -> Option<usize> {
        let c = self.char_at(p)?;
        if c == '\r' || c == '\n' || HASHTAG_STOP.contains(&c) {
            return None;
        }
        Some(p + c.len_utf8())
    }

    /// Hashtag item: a bracket pair (nesting one level deeper) or one char.
    fn hashtag_item(&self, p: usize, d: u32) -> Option<usize> {
        for (open, close) in [("(", ")"), ("[", "]"), ("「", "」"), ("（", "）")] {
            if self.at(p, open) {
                let mut i = p + open.len();
                while i < self.len() {
                    let next =
                        if d + 1 < self.limit { self.hashtag_item(i, d + 1) } else { self.hashtag_char(i) };
                    match next {
                        Some(e) => i = e,
                        None => break,
                    }
                }
                // Openers are never hashtag chars, so a failed pair fails the item.
                return self.at(i, close).then_some(i + close.len());
            }
        }
        self.hashtag_char(p)
    }

    pub(crate) fn hashtag(&mut self, p: usize, d: u32, ll: bool, build: bool) -> Option<(usize, Out)> {
        if ll || self.byte(p) != Some(b'#') {
            return None;
        }
        let q = p + 1;
        let mut e = q;
        while e < self.len() {
            match self.hashtag_item(e, d) {
                Some(n) => e = n,
                None => break,
            }
        }
        if e == q || self.alnum_before(p) {
            return None;
        }
        let tag = &self.s[q..e];
        if tag.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let node = build.then(|| Node::Hashtag { props: HashtagProps { hashtag: tag.to_string() } });
        Some((e, node.map_or(Out::Skip, Out::Node)))
    }

    fn url_item(&self, p: usize, d: u32) -> Option<usize> {
        for (open, close) in [(b'(', b')'), (b'[', b']')] {
            if self.byte(p) == Some(open) {
                let mut i = p + 1;
                while i < self.len() {
                    let next = if d + 1 < self.limit {
                        self.url_item(i, d + 1)
                    } else {
                        self.byte(i).filter(|&b| is_url_char(b)).map(|_| i + 1)
                    };
                    match next {
                        Some(e) => i = e,
                        None => break,
                    }
                }
                return (self.byte(i) == Some(close)).then_some(i + 1);
            }
        }
        self.byte(p).filter(|&b| is_url_char(b)).map(|_| p + 1)
    }

    /// Bare URL: `(end, is_text)`; trailing `.`/`,` are left out.
    fn url_measure(&mut self, p: usize, d: u32) -> Option<(usize, bool)> {
        let k = ((p as u64) << 8) | d as u64;
        if let Some(&r) = self.url_memo.get(&k) {
            return r.map(|(e, t)| (e as usize, t));
        }
        let schema = if self.at(p, "https://") {
            8
        } else if self.at(p, "http://") {
            7
        } else {
            0
        };
        let r = if schema == 0 {
            None
        } else {
            let q = p + schema;
            let mut e = q;
            while e < self.len() {
                match self.url_item(e, d) {
                    Some(n) => e = n,
                    None => break,
                }
            }
            if e == q {
                None
            } else {
                let kept = self.s[q..e].trim_end_matches(['.', ',']).len();
                if kept == 0 {
                    Some((e, true))
                } else {
                    Some((q + kept, false))
                }
            }
        };
        self.url_memo.insert(k, r.map(|(e, t)| (e as u32, t)));
        r
    }

    pub(crate) fn url(&mut self, p: usize, d: u32, ll: bool, build: bool) -> Option<(usize, Out)> {
        if ll || self.byte(p) != Some(b'h') {
            return None;
        }
        let (e, text) = self.url_measure(p, d)?;
        if text {
            return Some((e, Out::Text));
        }
        let node =
            build.then(|| Node::Url { props: UrlProps { url: self.s[p..e].to_string(), brackets: None } });
        Some((e, node.map_or(Out::Skip, Out::Node)))
    }

    /// `<https://…>`: anything but `>` and spaces (newlines allowed) inside.
    pub(crate) fn url_alt(&mut self, p: usize, ll: bool, build: bool) -> Option<(usize, Out)> {
        if ll || self.byte(p) != Some(b'<') {
            return None;
        }
        let q = if self.at(p + 1, "https://") {
            p + 9
        } else if self.at(p + 1, "http://") {
            p + 8
        } else {
            return None;
        };
        let e = self.char_stop(CharScan::UrlAltBody, q);
        if e == q || self.byte(e) != Some(b'>') {
            return None;
        }
        let node = build.then(|| Node::Url {
            props: UrlProps { url: self.s[p + 1..e].to_string(), brackets: Some(true) },
        });
        Some((e + 1, node.map_or(Out::Skip, Out::Node)))
    }

    pub(crate) fn link(&mut self, p: usize, d: u32, ll: bool, build: bool) -> Option<(usize, Out)> {
        if ll {
            return None;
        }
        let (q, silent) = if self.at(p, "?[") {
            (p + 2, true)
        } else if self.at(p, "[") {
            (p + 1, false)
        } else {
            return None;
        };
        let e = self.scan(Scan::LinkLabel, q, d + 1, true);
        if e == q || self.byte(e) != Some(b']') || self.byte(e + 1) != Some(b'(') {
            return None;
        }
        let u = e + 2;
        // alt([urlAlt, url]); a url that degraded to text fails the link.
        let (url_end, bracketed) = match self.url_alt(u, false, false) {
            Some((ue, _)) => (ue, true),
            None if self.byte(u) == Some(b'h') => match self.url_measure(u, d) {
                Some((ue, false)) => (ue, false),
                _ => return None,
            },
            None => return None,
        };
        if self.byte(url_end) != Some(b')') {
            return None;
        }
        if !build {
            return Some((url_end + 1, Out::Skip));
        }
        let url = if bracketed { &self.s[u + 1..url_end - 1] } else { &self.s[u..url_end] }.to_string();
        let children = self.build_seq(q, e, d + 1, true);
        Some((url_end + 1, Out::Node(Node::Link { props: LinkProps { silent, url }, children })))
    }
}
