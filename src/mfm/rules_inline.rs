//! Inline rules: emoji, the `<tag>…</tag>` / `**…**` family, `*x*` / `_x_` /
//! `__x__`, inline code and math, `<plain>`, `$[fn …]` and `:emoji:`.

use crate::mfm::emoji;
use crate::mfm::node::*;
use crate::mfm::parser::{CharScan, Out, Parser, Scan};

/// Byte spans of one fn argument: key start, key end, optional value span.
type ArgSpan = (usize, usize, Option<(usize, usize)>);

impl Parser<'_> {
    pub(crate) fn unicode_emoji(&mut self, p: usize, build: bool) -> Option<(usize, Out)> {
        let len = emoji::match_at(self.s.get(p..)?)?;
        let e = p + len;
        let m = &self.s[p..e];
        // mfm-js keeps a lone variation selector as text.
        if m == "\u{fe0f}" || !build {
            return Some((e, if m == "\u{fe0f}" { Out::Text } else { Out::Skip }));
        }
        Some((e, Out::Node(Node::UnicodeEmoji { props: UnicodeEmojiProps { emoji: m.to_string() } })))
    }

    /// `seqOrText(open, (notMatch(close) nest(inline))+, close)`: once the
    /// opener matched, failure anywhere later yields the consumed span as text.
    pub(crate) fn tag(
        &mut self,
        p: usize,
        d: u32,
        ll: bool,
        build: bool,
        kind: Scan,
    ) -> Option<(usize, Out)> {
        let (open, close) = match kind {
            Scan::Small => ("<small>", "</small>"),
            Scan::Bold => ("<b>", "</b>"),
            Scan::Italic => ("<i>", "</i>"),
            Scan::Strike => ("<s>", "</s>"),
            Scan::Big => ("***", "***"),
            Scan::BoldAsta => ("**", "**"),
            Scan::StrikeWave => ("~~", "~~"),
            Scan::Fn | Scan::Center | Scan::LinkLabel => return None,
        };
        if !self.at(p, open) {
            return None;
        }
        let q = p + open.len();
        let e = self.scan(kind, q, d + 1, ll);
        if e == q || !self.at(e, close) {
            // No element, or never closed: text up to where the sequence got.
            return Some((e, Out::Text));
        }
        if !build {
            return Some((e + close.len(), Out::Skip));
        }
        let children = self.build_seq(q, e, d + 1, ll);
        let node = match kind {
            Scan::Small => Node::Small { children },
            Scan::Bold | Scan::BoldAsta => Node::Bold { children },
            Scan::Italic => Node::Italic { children },
            Scan::Strike | Scan::StrikeWave => Node::Strike { children },
            _ => Node::Fn { props: FnProps { name: "tada".into(), args: FnArgs::default() }, children },
        };
        Some((e + close.len(), Out::Node(node)))
    }

    /// `*abc*`, `_abc_` (italic, not after an alphanumeric) and `__abc__`
    /// (bold): only ASCII alphanumerics and spaces inside.
    pub(crate) fn simple_mark(
        &mut self,
        p: usize,
        build: bool,
        mark: u8,
        n: usize,
        italic: bool,
    ) -> Option<(usize, Out)> {
        if !(0..n).all(|i| self.byte(p + i) == Some(mark)) {
            return None;
        }
        let q = p + n;
        let mut e = q;
        loop {
            let step = match self.byte(e) {
                Some(b) if b.is_ascii_alphanumeric() => 1,
                _ => self.space(e),
            };
            if step == 0 {
                break;
            }
            e += step;
        }
        if e == q || !(0..n).all(|i| self.byte(e + i) == Some(mark)) {
            return None;
        }
        if italic && self.alnum_before(p) {
            return None;
        }
        if !build {
            return Some((e + n, Out::Skip));
        }
        let children = vec![Node::text(&self.s[q..e])];
        let node = if italic { Node::Italic { children } } else { Node::Bold { children } };
        Some((e + n, Out::Node(node)))
    }

    pub(crate) fn inline_code(&mut self, p: usize, build: bool) -> Option<(usize, Out)> {
        if self.byte(p) != Some(b'`') {
            return None;
        }
        let q = p + 1;
        let e = self.char_stop(CharScan::InlineCode, q);
        if e == q || self.byte(e) != Some(b'`') {
            return None;
        }
        let node = build.then(|| Node::InlineCode { props: CodeProps { code: self.s[q..e].to_string() } });
        Some((e + 1, node.map_or(Out::Skip, Out::Node)))
    }

    pub(crate) fn math_inline(&mut self, p: usize, build: bool) -> Option<(usize, Out)> {
        if !self.at(p, "\\(") {
            return None;
        }
        let q = p + 2;
        let e = self.char_stop(CharScan::MathInline, q);
        if e == q || !self.at(e, "\\)") {
            return None;
        }
        let node =
            build.then(|| Node::MathInline { props: FormulaProps { formula: self.s[q..e].to_string() } });
        Some((e + 2, node.map_or(Out::Skip, Out::Node)))
    }

    pub(crate) fn plain_tag(&mut self, p: usize, build: bool) -> Option<(usize, Out)> {
        if !self.at(p, "<plain>") {
            return None;
        }
        let q = p + 7;
        let q = q + self.nl(q);
        let e = self.char_stop(CharScan::PlainBody, q);
        if e == q || e >= self.len() {
            return None;
        }
        // The scan stopped at `</plain>` or at a newline followed by it.
        let end = e + self.nl(e) + 8;
        let node = build.then(|| Node::Plain { children: vec![Node::text(&self.s[q..e])] });
        Some((end, node.map_or(Out::Skip, Out::Node)))
    }

    /// `:name:` — the opening side test always passes (':' is never
    /// alphanumeric), the closing side must not be followed by one.
    pub(crate) fn emoji_code(&mut self, p: usize, build: bool) -> Option<(usize, Out)> {
        if self.byte(p) != Some(b':') {
            return None;
        }
        let q = p + 1;
        let e = self.ascii_run(q, |b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-'));
        if e == q || self.byte(e) != Some(b':') {
            return None;
        }
        let after = e + 1;
        if !self.line_end(after) && self.b[after].is_ascii_alphanumeric() {
            return None;
        }
        let node =
            build.then(|| Node::EmojiCode { props: EmojiCodeProps { name: self.s[q..e].to_string() } });
        Some((after, node.map_or(Out::Skip, Out::Node)))
    }

    /// `$[name.k=v,flag content]`, with seqOrText's partial-text fallback.
    pub(crate) fn fn_call(&mut self, p: usize, d: u32, ll: bool, build: bool) -> Option<(usize, Out)> {
        if !self.at(p, "$[") {
            return None;
        }
        let name_start = p + 2;
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let name_end = self.ascii_run(name_start, ident);
        if name_end == name_start {
            return Some((name_start, Out::Text));
        }
        // args: "." arg ("," arg)* where arg = ident ("=" value)?
        let mut args: Vec<ArgSpan> = Vec::new();
        let mut r = name_end;
        if self.byte(r) == Some(b'.') {
            let mut i = r + 1;
            loop {
                let ke = self.ascii_run(i, ident);
                if ke == i {
                    break;
                }
                let mut value = None;
                let mut next = ke;
                if self.byte(ke) == Some(b'=') {
                    let ve = self.ascii_run(ke + 1, |b| ident(b) || b == b'.' || b == b'-');
                    if ve > ke + 1 {
                        value = Some((ke + 1, ve));
                        next = ve;
                    }
                }
                args.push((i, ke, value));
                r = next;
                if self.byte(next) == Some(b',') {
                    i = next + 1;
                } else {
                    break;
                }
            }
            // A "," not followed by a valid arg is not consumed (r stays before it).
        }
        if self.byte(r) != Some(b' ') {
            return Some((r, Out::Text));
        }
        let q = r + 1;
        let e = self.scan(Scan::Fn, q, d + 1, ll);
        if e == q || self.byte(e) != Some(b']') {
            return Some((e, Out::Text));
        }
        if !build {
            return Some((e + 1, Out::Skip));
        }
        let mut fargs = FnArgs::default();
        for (ks, ke, v) in args {
            let val = match v {
                Some((vs, ve)) => FnArg::Value(self.s[vs..ve].to_string()),
                None => FnArg::Flag(true),
            };
            fargs.insert(&self.s[ks..ke], val);
        }
        let children = self.build_seq(q, e, d + 1, ll);
        let props = FnProps { name: self.s[name_start..name_end].to_string(), args: fargs };
        Some((e + 1, Out::Node(Node::Fn { props, children })))
    }
}
