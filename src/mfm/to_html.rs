//! Renders a tree as the HTML Misskey puts in an ActivityPub note's `content`
//! (behaviour modelled on Misskey's MfmService.toHtml). Every text is escaped;
//! only http(s) URLs become `href`s; `$[fn …]` degrades to `<i>` except
//! `unixtime` (`<time>`) and `ruby` (`<ruby>` with `<rp>` fallbacks).

use crate::mfm::node::Node;
use std::fmt::Write;

/// Resolves a mention to the profile URL to link to (`None`: use the default
/// `{base_url}/@user[@host]`).
pub trait MentionResolver {
    fn profile_url(&self, username: &str, host: Option<&str>) -> Option<String>;
}

impl<F: Fn(&str, Option<&str>) -> Option<String>> MentionResolver for F {
    fn profile_url(&self, username: &str, host: Option<&str>) -> Option<String> {
        self(username, host)
    }
}

/// What rendering needs from the server: its base URL and mention lookup.
pub struct HtmlContext<'a> {
    /// Local base URL without trailing slash, e.g. `https://example.com`.
    pub base_url: String,
    /// Local host name, so `@user@{local}` links to the local profile.
    pub local_host: String,
    pub resolver: Option<&'a dyn MentionResolver>,
}

impl<'a> HtmlContext<'a> {
    pub fn new(base_url: &str) -> Self {
        let base_url = base_url.trim_end_matches('/').to_string();
        let rest = base_url.split_once("://").map_or(base_url.as_str(), |(_, r)| r);
        let local_host = rest.split(['/', ':']).next().unwrap_or("").to_ascii_lowercase();
        HtmlContext { base_url, local_host, resolver: None }
    }

    pub fn with_resolver(mut self, resolver: &'a dyn MentionResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }
}

/// Renders `nodes` to HTML.
pub fn to_html(nodes: &[Node], ctx: &HtmlContext) -> String {
    let mut out = String::new();
    render(nodes, ctx, &mut out);
    out
}

/// Misskey's escapeHtml: `& < > " '`.
pub fn escape_html(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#039;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// `escape_html` into a new string.
pub fn escaped(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    escape_html(s, &mut o);
    o
}

/// JS `encodeURIComponent`.
pub fn encode_uri_component(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            o.push(b as char);
        } else {
            let _ = write!(o, "%{b:02X}");
        }
    }
    o
}

/// A link target if `url` is an http(s) URL with a host: tabs and newlines
/// removed (as URL parsers do) and unsafe characters percent-encoded.
pub fn safe_href(url: &str) -> Option<String> {
    let url: String = url.chars().filter(|c| !matches!(c, '\t' | '\r' | '\n')).collect();
    let lower = url.get(..8).unwrap_or(&url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let mut o = String::with_capacity(url.len());
    for c in url.chars() {
        if c.is_ascii_graphic() && !"\"<>`{}|^\\".contains(c) {
            o.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(o, "%{b:02X}");
            }
        }
    }
    Some(o)
}

fn render(nodes: &[Node], ctx: &HtmlContext, out: &mut String) {
    for n in nodes {
        render_node(n, ctx, out);
    }
}

fn wrap(tag: &str, children: &[Node], ctx: &HtmlContext, out: &mut String) {
    let _ = write!(out, "<{tag}>");
    render(children, ctx, out);
    let _ = write!(out, "</{tag}>");
}

fn render_node(n: &Node, ctx: &HtmlContext, out: &mut String) {
    match n {
        Node::Bold { children } => wrap("b", children, ctx, out),
        Node::Small { children } => wrap("small", children, ctx, out),
        Node::Strike { children } => wrap("del", children, ctx, out),
        Node::Italic { children } => wrap("i", children, ctx, out),
        Node::Quote { children } => wrap("blockquote", children, ctx, out),
        Node::Plain { children } => wrap("span", children, ctx, out),
        Node::Center { children } => {
            out.push_str("<div style=\"text-align: center;\">");
            render(children, ctx, out);
            out.push_str("</div>");
        }
        Node::Fn { props, children } => render_fn(&props.name, children, ctx, out),
        Node::BlockCode { props } => {
            out.push_str("<pre><code>");
            escape_html(&props.code, out);
            out.push_str("</code></pre>");
        }
        Node::MathBlock { props } => {
            out.push_str("<pre><code>");
            escape_html(&props.formula, out);
            out.push_str("</code></pre>");
        }
        Node::InlineCode { props } => {
            out.push_str("<code>");
            escape_html(&props.code, out);
            out.push_str("</code>");
        }
        Node::MathInline { props } => {
            out.push_str("<code>");
            escape_html(&props.formula, out);
            out.push_str("</code>");
        }
        // Zero-width spaces let receivers that need word boundaries around a
        // shortcode (Mastodon) still see it; Misskey does the same.
        Node::EmojiCode { props } => {
            out.push_str("\u{200b}:");
            escape_html(&props.name, out);
            out.push_str(":\u{200b}");
        }
        Node::UnicodeEmoji { props } => escape_html(&props.emoji, out),
        Node::Hashtag { props } => {
            let href = format!("{}/tags/{}", ctx.base_url, encode_uri_component(&props.hashtag));
            let _ =
                write!(out, "<a href=\"{}\" rel=\"tag\">#{}</a>", escaped(&href), escaped(&props.hashtag));
        }
        Node::Link { props, children } => match safe_href(&props.url) {
            Some(href) => {
                let _ = write!(out, "<a href=\"{}\">", escaped(&href));
                render(children, ctx, out);
                out.push_str("</a>");
            }
            None => {
                out.push('[');
                render(children, ctx, out);
                let _ = write!(out, "]({})", escaped(&props.url));
            }
        },
        Node::Mention { props } => {
            let host = props.host.as_deref().filter(|h| !h.eq_ignore_ascii_case(&ctx.local_host));
            let resolved = ctx.resolver.and_then(|r| r.profile_url(&props.username, host));
            let href = resolved.unwrap_or_else(|| match host {
                Some(h) => format!("{}/@{}@{}", ctx.base_url, props.username, h),
                None => format!("{}/@{}", ctx.base_url, props.username),
            });
            match safe_href(&href) {
                Some(h) => {
                    let _ = write!(
                        out,
                        "<a href=\"{}\" class=\"u-url mention\">{}</a>",
                        escaped(&h),
                        escaped(&props.acct)
                    );
                }
                None => escape_html(&props.acct, out),
            }
        }
        Node::Text { props } => {
            // Lines split on \r\n, \r or \n, joined with <br>.
            let mut rest = props.text.as_str();
            while let Some(i) = rest.find(['\r', '\n']) {
                escape_html(&rest[..i], out);
                out.push_str("<br>");
                let nl = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + nl..];
            }
            escape_html(rest, out);
        }
        Node::Url { props } => match safe_href(&props.url) {
            Some(href) => {
                let _ = write!(out, "<a href=\"{}\">{}</a>", escaped(&href), escaped(&props.url));
            }
            None => escape_html(&props.url, out),
        },
        Node::Search { props } => {
            let href = format!("https://www.google.com/search?q={}", encode_uri_component(&props.query));
            let _ = write!(out, "<a href=\"{}\">{}</a>", escaped(&href), escaped(&props.content));
        }
    }
}

fn text_of(n: Option<&Node>) -> &str {
    match n {
        Some(Node::Text { props }) => &props.text,
        _ => "",
    }
}

fn render_fn(name: &str, children: &[Node], ctx: &HtmlContext, out: &mut String) {
    match name {
        "unixtime" => match parse_int_js(text_of(children.first())).and_then(iso_from_unix_seconds) {
            Some(iso) => {
                let _ = write!(out, "<time datetime=\"{0}\">{0}</time>", escaped(&iso));
            }
            None => wrap("i", children, ctx, out),
        },
        "ruby" if children.len() == 1 => {
            let text = text_of(children.first());
            let mut parts = text.split(' ');
            let base = parts.next().unwrap_or("");
            let rt = parts.next().unwrap_or("");
            let _ = write!(out, "<ruby>{}<rp>(</rp><rt>{}</rt><rp>)</rp></ruby>", escaped(base), escaped(rt));
        }
        "ruby" if !children.is_empty() => {
            let (rt, base) = children.split_last().unwrap_or((&children[0], &[]));
            out.push_str("<ruby>");
            render(base, ctx, out);
            let rt_text = crate::mfm::rules_block::js_trim(text_of(Some(rt)));
            let _ = write!(out, "<rp>(</rp><rt>{}</rt><rp>)</rp></ruby>", escaped(rt_text));
        }
        _ => wrap("i", children, ctx, out),
    }
}

/// JS `parseInt(s, 10)`: optional leading whitespace and sign, then digits.
fn parse_int_js(s: &str) -> Option<i64> {
    let t = crate::mfm::rules_block::js_trim(s);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    // Longer numbers are out of Date's range anyway.
    let v: i64 = digits[..end.min(18)].parse().ok()?;
    if end > 18 {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// `new Date(secs * 1000).toISOString()`, or `None` where JS throws.
fn iso_from_unix_seconds(secs: i64) -> Option<String> {
    const MAX_MS: i64 = 8_640_000_000_000_000;
    let ms = secs.checked_mul(1000)?;
    if ms.abs() > MAX_MS {
        return None;
    }
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else {
        format!("{}{:06}", if y < 0 { '-' } else { '+' }, y.abs())
    };
    let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    Some(format!("{year}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z"))
}
