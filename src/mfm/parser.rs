//! MFM parser core: the state, memo tables and rule dispatch. The
//! "repeat until closing marker" primitives live in `scan.rs`, the rules in
//! `rules_*.rs`, character helpers in `lexer.rs`.
//!
//! Semantics follow mfm-js 0.26 exactly: it is a PEG (ordered choice, no
//! backtracking inside a sequence) whose only state is the nesting depth and
//! the "inside a link label" flag. Every rule result is therefore a pure
//! function of (position, depth, link-label flag), which is what makes
//! memoisation exact. mfm-js itself re-parses the same text many times
//! (quadratic or worse on unclosed markers); here:
//! - a rule is first *measured* (end position only, no allocation) and only
//!   the alternative that wins is *built* into nodes;
//! - nested element ends and "scan until closing marker" results are memoised
//!   per (kind, depth, flag, position), with path compression, so every
//!   position is walked O(kinds × depth) times in total;
//! - scans over raw characters use lazily built next-stop tables, and an
//!   element scan with no closing marker ahead returns the end at once.

use crate::mfm::node::Node;
pub(crate) use crate::mfm::scan::{CharScan, Scan, STOP_TABLES};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Depth beyond which nesting is never attempted, whatever the caller asks:
/// keeps recursion (and the stack) bounded. mfm-js's default is 20.
pub(crate) const MAX_NEST_LIMIT: u32 = 64;

/// Result payload of a rule. Text always means "the consumed input
/// `[start, end)` is plain text" (true for every text-producing rule).
pub(crate) enum Out {
    /// Measuring only; nothing was built.
    Skip,
    Text,
    Node(Node),
}

/// Declares the rules once: the enum, and `FULL`, every rule in declaration order.
macro_rules! rules {
    ($($rule:ident),* $(,)?) => {
        /// Rule identifiers, in mfm-js's alternative order.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(crate) enum Rule {
            $($rule),*
        }

        /// All rules, in mfm-js's order of alternatives for full parsing.
        pub(crate) const FULL: &[Rule] = &[$(Rule::$rule),*];
    };
}

rules![
    UnicodeEmoji,
    Center,
    Small,
    PlainTag,
    BoldTag,
    ItalicTag,
    StrikeTag,
    UrlAlt,
    Big,
    BoldAsta,
    ItalicAsta,
    BoldUnder,
    ItalicUnder,
    CodeBlock,
    InlineCode,
    Quote,
    MathBlock,
    MathInline,
    StrikeWave,
    Fn,
    Mention,
    Hashtag,
    EmojiCode,
    Link,
    Url,
    Search,
    Text,
];

use Rule::*;

pub(crate) const INLINE: &[Rule] = &[
    UnicodeEmoji,
    Small,
    PlainTag,
    BoldTag,
    ItalicTag,
    StrikeTag,
    UrlAlt,
    Big,
    BoldAsta,
    ItalicAsta,
    BoldUnder,
    ItalicUnder,
    InlineCode,
    MathInline,
    StrikeWave,
    Fn,
    Mention,
    Hashtag,
    EmojiCode,
    Link,
    Url,
    Text,
];
pub(crate) const SIMPLE: &[Rule] = &[UnicodeEmoji, EmojiCode, PlainTag, Text];

/// The INLINE rules (in order) that can match at a position starting with
/// byte `b`: each rule begins with a fixed character, so this only skips
/// alternatives that would fail on their first byte anyway.
fn inline_candidates(b: u8) -> &'static [Rule] {
    match b {
        b'<' => &[Small, PlainTag, BoldTag, ItalicTag, StrikeTag, UrlAlt, Text],
        b'*' => &[UnicodeEmoji, Big, BoldAsta, ItalicAsta, Text],
        b'_' => &[BoldUnder, ItalicUnder, Text],
        b'`' => &[InlineCode, Text],
        b'\\' => &[MathInline, Text],
        b'~' => &[StrikeWave, Text],
        b'$' => &[Fn, Text],
        b'@' => &[Mention, Text],
        b'#' => &[UnicodeEmoji, Hashtag, Text],
        b':' => &[EmojiCode, Text],
        b'[' | b'?' => &[Link, Text],
        b'h' => &[Url, Text],
        b'0'..=b'9' | 0x80.. => &[UnicodeEmoji, Text],
        _ => &[Text],
    }
}

/// Small fast hasher for integer keys: the splitmix64 finalizer. (A bare
/// multiply would leave the low bits, which pick the bucket, independent of
/// the position bits packed high in the key.)
#[derive(Default)]
pub(crate) struct IntHasher(u64);
impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(17) ^ n;
    }
}
pub(crate) type IntMap<V> = HashMap<u64, V, BuildHasherDefault<IntHasher>>;

pub(crate) struct Parser<'a> {
    pub(crate) s: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) limit: u32,
    /// (pos, depth, flag) -> (end, winning rule) for nested inline elements.
    elem_memo: IntMap<(u32, Rule)>,
    /// (kind, depth, flag, pos) -> end of the scan started at pos.
    pub(crate) scan_memo: IntMap<u32>,
    /// (pos, depth) -> url rule result.
    pub(crate) url_memo: IntMap<Option<(u32, bool)>>,
    /// Lazily built next-stop tables (see scan.rs).
    pub(crate) stop_tables: [Option<Vec<u32>>; STOP_TABLES],
    /// Scratch stack for scan path compression.
    pub(crate) path: Vec<u32>,
}

pub(crate) fn key(pos: usize, depth: u32, ll: bool, kind: u64) -> u64 {
    ((pos as u64) << 20) | (kind << 12) | ((depth as u64) << 1) | ll as u64
}

impl<'a> Parser<'a> {
    pub(crate) fn new(s: &'a str, nest_limit: u32) -> Self {
        Parser {
            s,
            b: s.as_bytes(),
            limit: nest_limit.min(MAX_NEST_LIMIT),
            elem_memo: IntMap::default(),
            scan_memo: IntMap::default(),
            url_memo: IntMap::default(),
            stop_tables: Default::default(),
            path: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.b.len()
    }

    /// `many(0)` over `rules` from position 0 at `depth`, merged like mfm-js's mergeText.
    pub(crate) fn parse_all(&mut self, rules: &[Rule], depth: u32) -> Vec<Node> {
        let mut out = Merger::default();
        let mut p = 0;
        while p < self.len() {
            let (e, o) = self.dispatch(rules, p, depth, false, true);
            out.push(self.s, p, e, o);
            p = e;
        }
        out.finish()
    }

    /// Tries `rules` in order at `p`; the last rule (Text) always succeeds
    /// when `p < len`. Plain characters short-cut straight to text.
    pub(crate) fn dispatch(
        &mut self,
        rules: &[Rule],
        p: usize,
        d: u32,
        ll: bool,
        build: bool,
    ) -> (usize, Out) {
        let full = rules.len() == FULL.len();
        if let Some(e) = self.plain_run(p, full) {
            return (e, Out::Text);
        }
        // Block rules can only start on a newline or at a line start.
        let rules = match self.byte(p) {
            Some(b) if full && self.nl(p) == 0 && !self.line_begin(p) => inline_candidates(b),
            _ => rules,
        };
        for &r in rules {
            if let Some(x) = self.apply(r, p, d, ll, build) {
                return x;
            }
        }
        (self.next_char(p), Out::Text)
    }

    fn apply(&mut self, r: Rule, p: usize, d: u32, ll: bool, build: bool) -> Option<(usize, Out)> {
        match r {
            UnicodeEmoji => self.unicode_emoji(p, build),
            Center => self.center(p, d, ll, build),
            Small => self.tag(p, d, ll, build, Scan::Small),
            PlainTag => self.plain_tag(p, build),
            BoldTag => self.tag(p, d, ll, build, Scan::Bold),
            ItalicTag => self.tag(p, d, ll, build, Scan::Italic),
            StrikeTag => self.tag(p, d, ll, build, Scan::Strike),
            UrlAlt => self.url_alt(p, ll, build),
            Big => self.tag(p, d, ll, build, Scan::Big),
            BoldAsta => self.tag(p, d, ll, build, Scan::BoldAsta),
            ItalicAsta => self.simple_mark(p, build, b'*', 1, true),
            BoldUnder => self.simple_mark(p, build, b'_', 2, false),
            ItalicUnder => self.simple_mark(p, build, b'_', 1, true),
            CodeBlock => self.code_block(p, build),
            InlineCode => self.inline_code(p, build),
            Quote => self.quote(p, d, build),
            MathBlock => self.math_block(p, build),
            MathInline => self.math_inline(p, build),
            StrikeWave => self.tag(p, d, ll, build, Scan::StrikeWave),
            Fn => self.fn_call(p, d, ll, build),
            Mention => self.mention(p, ll, build),
            Hashtag => self.hashtag(p, d, ll, build),
            EmojiCode => self.emoji_code(p, build),
            Link => self.link(p, d, ll, build),
            Url => self.url(p, d, ll, build),
            Search => self.search(p, build),
            Text => Some((self.next_char(p), Out::Text)),
        }
    }

    /// `nest(inline)` measured: end of the nested element at `p` (depth `d`
    /// already incremented). Beyond the nest limit an element is one char.
    pub(crate) fn elem_end(&mut self, p: usize, d: u32, ll: bool) -> usize {
        if d >= self.limit {
            return self.next_char(p);
        }
        if let Some(e) = self.plain_run_one(p) {
            return e;
        }
        let k = key(p, d, ll, 0);
        if let Some(&(e, _)) = self.elem_memo.get(&k) {
            return e as usize;
        }
        let (e, r) = self.measure_inline(p, d, ll);
        self.elem_memo.insert(k, (e as u32, r));
        e
    }

    fn measure_inline(&mut self, p: usize, d: u32, ll: bool) -> (usize, Rule) {
        let rules = self.byte(p).map_or(INLINE, inline_candidates);
        for &r in rules {
            if let Some((e, _)) = self.apply(r, p, d, ll, false) {
                return (e, r);
            }
        }
        (self.next_char(p), Text)
    }

    /// `nest(inline)` built.
    fn elem_build(&mut self, p: usize, d: u32, ll: bool) -> (usize, Out) {
        if d >= self.limit {
            return (self.next_char(p), Out::Text);
        }
        if let Some(e) = self.plain_run_one(p) {
            return (e, Out::Text);
        }
        let r = match self.elem_memo.get(&key(p, d, ll, 0)) {
            Some(&(_, r)) => r,
            None => self.measure_inline(p, d, ll).1,
        };
        self.apply(r, p, d, ll, true).unwrap_or_else(|| (self.next_char(p), Out::Text))
    }

    /// Builds the elements between `start` and `end` (a measured scan) and merges text.
    pub(crate) fn build_seq(&mut self, start: usize, end: usize, d: u32, ll: bool) -> Vec<Node> {
        let mut out = Merger::default();
        let mut p = start;
        while p < end {
            let (e, o) = self.elem_build(p, d, ll);
            out.push(self.s, p, e, o);
            p = e;
        }
        out.finish()
    }
}

/// mergeText: concatenates consecutive text pieces into one text node.
#[derive(Default)]
pub(crate) struct Merger {
    nodes: Vec<Node>,
    buf: String,
}

impl Merger {
    pub(crate) fn push(&mut self, s: &str, start: usize, end: usize, o: Out) {
        match o {
            Out::Node(n) => {
                self.flush();
                self.nodes.push(n);
            }
            _ => self.buf.push_str(&s[start..end]),
        }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.nodes.push(Node::text(std::mem::take(&mut self.buf)));
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Node> {
        self.flush();
        self.nodes
    }
}
