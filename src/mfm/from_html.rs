//! Converts the HTML `content` of a remote note (Mastodon, Pleroma,
//! GoToSocial, Misskey…) to MFM text, modelled on Misskey's
//! MfmService.fromHtml: `<p>` starts a paragraph (blank line), `<br>` is a
//! newline, inline formatting maps to MFM markers, links become URLs or
//! `[text](url)`. Mentions and hashtags are recognised through the note's
//! ActivityPub `tag` entries rather than guessed from the markup.
//! Parsing uses html5ever (fragment mode, as a browser would).

use crate::mfm::extract::normalize_for_search;
use crate::mfm::html_probe::{probe, MAX_TREE_COST};
use crate::mfm::rules_block::js_trim;
use html5ever::tendril::TendrilSink;
use html5ever::{local_name, ns, parse_fragment, ParseOpts, QualName};
use markup5ever_rcdom::{Handle, NodeData, RcDom};

/// One ActivityPub `tag` entry of the note (`Mention`, `Hashtag`, `Emoji`…).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ApTag {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Converts note HTML to MFM.
pub fn from_html(html: &str, tags: &[ApTag]) -> String {
    // html5ever's tree builder does O(open elements) work per tag, so very
    // deep markup costs quadratic time: hostile input gets plain text only.
    let probe = probe(html);
    if probe.cost > MAX_TREE_COST {
        return js_trim(&probe.text).to_string();
    }
    let dom = parse_fragment(
        RcDom::default(),
        ParseOpts::default(),
        QualName::new(None, ns!(html), local_name!("body")),
        vec![],
        false,
    )
    .one(html);
    let hashtags: Vec<String> = tags
        .iter()
        .filter(|t| t.kind == "Hashtag")
        .filter_map(|t| t.name.as_deref())
        .map(|n| normalize_for_search(n.trim_start_matches('#')))
        .collect();
    let mut conv = Converter { tags, depth: 0, hashtags, out: String::new() };
    // The fragment's nodes sit under a synthetic <html> root.
    for root in dom.document.children.borrow().iter() {
        conv.children(root);
    }
    js_trim(&conv.out).to_string()
}

/// Elements nested deeper than this are flattened to their text (bounds recursion).
const MAX_DEPTH: usize = 128;

struct Converter<'a> {
    tags: &'a [ApTag],
    depth: usize,
    /// Normalized hashtag names (without '#').
    hashtags: Vec<String>,
    out: String,
}

fn tag_name(h: &Handle) -> Option<String> {
    match &h.data {
        NodeData::Element { name, .. } => Some(name.local.to_string()),
        _ => None,
    }
}

fn attr(h: &Handle, key: &str) -> Option<String> {
    match &h.data {
        NodeData::Element { attrs, .. } => {
            attrs.borrow().iter().find(|a| &*a.name.local == key).map(|a| a.value.to_string())
        }
        _ => None,
    }
}

/// Text content, with `<br>` as a newline.
fn text_of(h: &Handle) -> String {
    let mut s = String::new();
    collect_text(h, &mut s);
    s
}

/// Iterative, so arbitrarily deep markup cannot overflow the stack.
fn collect_text(h: &Handle, s: &mut String) {
    let mut stack = vec![h.clone()];
    while let Some(n) = stack.pop() {
        match &n.data {
            NodeData::Text { contents } => s.push_str(&contents.borrow()),
            NodeData::Element { name, .. } if &*name.local == "br" => s.push('\n'),
            NodeData::Element { .. } => stack.extend(n.children.borrow().iter().rev().cloned()),
            _ => {}
        }
    }
}

fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Host of an http(s) URL, lower-cased.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Misskey's `^https?://[\w/:%#@$&?!()\[\]~.,=+\-]+`: length of the match.
fn url_prefix_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"))?;
    let n =
        rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || b"_/:%#@$&?!()[]~.,=+-".contains(b)).count();
    (n > 0).then(|| s.len() - rest.len() + n)
}

impl Converter<'_> {
    fn children(&mut self, h: &Handle) {
        if self.depth >= MAX_DEPTH {
            collect_text(h, &mut self.out);
            return;
        }
        self.depth += 1;
        let mut after_br = false;
        for c in h.children.borrow().iter() {
            self.node(c, after_br);
            after_br = tag_name(c).as_deref() == Some("br");
        }
        self.depth -= 1;
    }

    fn node(&mut self, h: &Handle, after_br: bool) {
        let name = match &h.data {
            NodeData::Text { contents } => {
                let t = contents.borrow();
                // Some servers (Pixelfed) put a newline after <br> as well.
                let t: &str = if after_br {
                    t.strip_prefix("\r\n").or_else(|| t.strip_prefix('\n')).unwrap_or(&t)
                } else {
                    &t
                };
                self.out.push_str(t);
                return;
            }
            NodeData::Element { name, .. } => name.local.to_string(),
            _ => return,
        };
        match name.as_str() {
            "br" => self.out.push('\n'),
            "a" => self.anchor(h),
            "h1" => self.wrapped(h, "【", "】\n"),
            "b" | "strong" => self.wrapped(h, "**", "**"),
            "small" => self.wrapped(h, "<small>", "</small>"),
            "s" | "del" => self.wrapped(h, "~~", "~~"),
            "i" | "em" => self.wrapped(h, "<i>", "</i>"),
            "code" => self.wrapped(h, "`", "`"),
            "ruby" => self.ruby(h),
            "pre" => self.pre(h),
            "blockquote" => {
                let t = text_of(h);
                if !t.is_empty() {
                    self.out.push_str("\n> ");
                    self.out.push_str(&t.split('\n').collect::<Vec<_>>().join("\n> "));
                }
            }
            "p" | "h2" | "h3" | "h4" | "h5" | "h6" => self.wrapped(h, "\n\n", ""),
            "div" | "header" | "footer" | "article" | "li" | "dt" | "dd" => self.wrapped(h, "\n", ""),
            // Never carry script or style source into the note text.
            "script" | "style" | "template" | "noscript" => {}
            _ => self.children(h),
        }
    }

    fn wrapped(&mut self, h: &Handle, open: &str, close: &str) {
        self.out.push_str(open);
        self.children(h);
        self.out.push_str(close);
    }

    fn anchor(&mut self, h: &Handle) {
        let txt = text_of(h);
        let href = attr(h, "href");
        let rel = attr(h, "rel");
        // Hashtag: an AP Hashtag tag with this name or link.
        if let Some(href) = &href {
            let by_name = txt.starts_with('#') && self.hashtags.contains(&normalize_for_search(&txt[1..]));
            let by_href =
                self.tags.iter().any(|t| t.kind == "Hashtag" && t.href.as_deref() == Some(href.as_str()));
            if by_name || by_href {
                match self
                    .tags
                    .iter()
                    .find(|t| t.kind == "Hashtag" && t.href.as_deref() == Some(href.as_str()))
                {
                    Some(t) if !txt.starts_with('#') => {
                        let n = t.name.as_deref().unwrap_or("").trim_start_matches('#');
                        self.out.push('#');
                        self.out.push_str(n);
                    }
                    _ => self.out.push_str(&txt),
                }
                return;
            }
            // Mention: an AP Mention tag pointing at this link, or else the
            // only Mention tag whose user name matches the link text.
            let by_href =
                self.tags.iter().find(|t| t.kind == "Mention" && t.href.as_deref() == Some(href.as_str()));
            if let Some(t) = by_href.or_else(|| self.mention_by_name(&txt)) {
                let name = t.name.as_deref().unwrap_or(&txt);
                let name = if name.starts_with('@') { name.to_string() } else { format!("@{name}") };
                if name.matches('@').count() >= 2 {
                    self.out.push_str(&name);
                } else if let Some(host) = url_host(href) {
                    self.out.push_str(&format!("{name}@{host}"));
                } else {
                    self.out.push_str(&name);
                }
                return;
            }
        }
        // Untagged "@user" links: Misskey's heuristic (host taken from the link).
        if txt.starts_with('@') && !rel.as_deref().is_some_and(|r| r.starts_with("me ")) {
            let parts = txt.split('@').count();
            match (parts, href.as_deref().and_then(url_host)) {
                (2, Some(host)) => self.out.push_str(&format!("{txt}@{host}")),
                _ => self.out.push_str(&txt),
            }
            return;
        }
        let link = match href.as_deref() {
            None | Some("") if txt.is_empty() => String::new(),
            None | Some("") => txt,
            Some(href) if txt.is_empty() || txt == href => {
                if url_prefix_len(href) == Some(href.len()) {
                    href.to_string()
                } else {
                    format!("<{href}>")
                }
            }
            Some(href) => match url_prefix_len(href) {
                Some(n) if n < href.len() => format!("[{txt}](<{href}>)"),
                _ => format!("[{txt}]({href})"),
            },
        };
        self.out.push_str(&link);
    }

    fn mention_by_name(&self, txt: &str) -> Option<&ApTag> {
        let user = txt.strip_prefix('@')?.split('@').next()?.to_lowercase();
        let mut found = self.tags.iter().filter(|t| {
            t.kind == "Mention"
                && t.name.as_deref().is_some_and(|n| {
                    n.trim_start_matches('@').split('@').next().unwrap_or("").to_lowercase() == user
                })
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    fn pre(&mut self, h: &Handle) {
        let kids = h.children.borrow();
        if kids.len() == 1 {
            if tag_name(&kids[0]).as_deref() == Some("code") {
                self.out.push_str("\n```\n");
                self.out.push_str(&text_of(&kids[0]));
                self.out.push_str("\n```\n");
                return;
            }
            if let NodeData::Text { contents } = &kids[0].data {
                let t = contents.borrow();
                if t.len() >= 13 && t.starts_with("<code>") && t.ends_with("</code>") {
                    self.out.push_str("\n```\n");
                    self.out.push_str(&t[6..t.len() - 7]);
                    self.out.push_str("\n```\n");
                    return;
                }
            }
        }
        drop(kids);
        self.children(h);
    }

    /// `<ruby>base<rp>(</rp><rt>reading</rt><rp>)</rp></ruby>` → `$[ruby base reading]`;
    /// anything more complex is kept as its text.
    fn ruby(&mut self, h: &Handle) {
        let bad = |s: &str| s.chars().any(|c| is_js_space(c) || c == '[' || c == ']');
        let mut pairs: Vec<(String, String)> = Vec::new();
        for c in h.children.borrow().iter() {
            if let NodeData::Text { contents } = &c.data {
                let t = contents.borrow();
                if !bad(&t) {
                    pairs.push((t.to_string(), String::new()));
                }
                continue;
            }
            match tag_name(c).as_deref() {
                None | Some("rp") => continue,
                Some("rt") if !pairs.is_empty() => {
                    let rt = text_of(c);
                    if !bad(&rt) {
                        if let Some(last) = pairs.last_mut() {
                            last.1 = rt;
                        }
                        continue;
                    }
                }
                _ => {}
            }
            self.children(h);
            return;
        }
        for (base, rt) in pairs {
            self.out.push_str(&format!("$[ruby {base} {rt}]"));
        }
    }
}
