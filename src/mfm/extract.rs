//! Pulls references out of a parsed tree, as Misskey does when it creates a
//! note: mentions (deduplicated), hashtags (normalized with
//! [`normalize_for_search`], deduplicated) and custom emoji names.

use crate::mfm::node::Node;
use unicode_normalization::UnicodeNormalization;

/// A mentioned account; `host` is `None` for a local (`@user`) mention.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MentionRef {
    pub username: String,
    pub host: Option<String>,
}

/// Visits every node depth-first, parents before children (mfm-js `inspect`).
pub fn walk<'a>(nodes: &'a [Node], f: &mut dyn FnMut(&'a Node)) {
    for n in nodes {
        f(n);
        if let Some(children) = n.children() {
            walk(children, f);
        }
    }
}

/// Misskey's `normalizeForSearch`: NFKC, then lower case (JS `toLowerCase`,
/// which is Unicode's full lowercase mapping like Rust's `to_lowercase`).
pub fn normalize_for_search(s: &str) -> String {
    s.nfkc().collect::<String>().to_lowercase()
}

/// Mentions in order of first appearance; the same account written with a
/// different letter case counts once (Misskey resolves users case-insensitively).
pub fn extract_mentions(nodes: &[Node]) -> Vec<MentionRef> {
    let mut out: Vec<MentionRef> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    walk(nodes, &mut |n| {
        if let Node::Mention { props } = n {
            let key = (props.username.to_lowercase(), props.host.as_deref().map(str::to_lowercase));
            if seen.insert(key) {
                out.push(MentionRef { username: props.username.clone(), host: props.host.clone() });
            }
        }
    });
    out
}

/// Hashtags as written, deduplicated (Misskey's `extractHashtags`).
pub fn extract_hashtags_raw(nodes: &[Node]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    walk(nodes, &mut |n| {
        if let Node::Hashtag { props } = n {
            if !out.contains(&props.hashtag) {
                out.push(props.hashtag.clone());
            }
        }
    });
    out
}

/// Hashtags normalized for storage and search, deduplicated after
/// normalization, in order of first appearance. (Misskey additionally drops
/// tags over 128 characters and keeps at most 32 per note: caller's policy.)
pub fn extract_hashtags(nodes: &[Node]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in extract_hashtags_raw(nodes) {
        let n = normalize_for_search(&t);
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Custom emoji names (`:name:`), deduplicated; names over 100 characters are
/// ignored as in Misskey's `extractCustomEmojisFromMfm`.
pub fn extract_emojis(nodes: &[Node]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    walk(nodes, &mut |n| {
        if let Node::EmojiCode { props } = n {
            // JS length counts UTF-16 units; names are ASCII so bytes agree.
            if props.name.len() <= 100 && !out.contains(&props.name) {
                out.push(props.name.clone());
            }
        }
    });
    out
}
