//! The MFM node tree, shaped so that `serde_json` output is byte-for-byte the
//! JSON that mfm-js 0.26 produces for the same tree (`{"type":…,"props":…,
//! "children":…}`, with the same key order and only the keys mfm-js sets).

use serde::ser::{Serialize, SerializeMap, Serializer};

/// One MFM node. Variant names serialize to mfm-js's `type` strings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Node {
    Quote { children: Vec<Node> },
    Search { props: SearchProps },
    BlockCode { props: BlockCodeProps },
    MathBlock { props: FormulaProps },
    Center { children: Vec<Node> },
    UnicodeEmoji { props: UnicodeEmojiProps },
    EmojiCode { props: EmojiCodeProps },
    Bold { children: Vec<Node> },
    Small { children: Vec<Node> },
    Italic { children: Vec<Node> },
    Strike { children: Vec<Node> },
    InlineCode { props: CodeProps },
    MathInline { props: FormulaProps },
    Mention { props: MentionProps },
    Hashtag { props: HashtagProps },
    Url { props: UrlProps },
    Link { props: LinkProps, children: Vec<Node> },
    Fn { props: FnProps, children: Vec<Node> },
    Plain { children: Vec<Node> },
    Text { props: TextProps },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SearchProps {
    pub query: String,
    /// The whole source line: query, separator and button text.
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BlockCodeProps {
    pub code: String,
    /// Serialized as `null` when absent, as mfm-js does.
    pub lang: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FormulaProps {
    pub formula: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UnicodeEmojiProps {
    pub emoji: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EmojiCodeProps {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CodeProps {
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MentionProps {
    pub username: String,
    /// Serialized as `null` for a local mention.
    pub host: Option<String>,
    /// The mention as written: `@user` or `@user@host`.
    pub acct: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HashtagProps {
    pub hashtag: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UrlProps {
    pub url: String,
    /// mfm-js only sets this key (to `true`) for `<https://…>` URLs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brackets: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LinkProps {
    pub silent: bool,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FnProps {
    pub name: String,
    pub args: FnArgs,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TextProps {
    pub text: String,
}

/// A `$[fn.key=value,flag …]` argument value: a bare key is `true`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum FnArg {
    Flag(bool),
    Value(String),
}

/// Function arguments in the order a JS object enumerates them (see [`FnArgs::insert`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FnArgs(pub Vec<(String, FnArg)>);

impl FnArgs {
    /// Assigns like `obj[key] = value` in JS: a repeated key keeps its first
    /// position but takes the new value; integer-like keys enumerate first in
    /// numeric order; `__proto__` assignment of a primitive is a no-op.
    pub fn insert(&mut self, key: &str, value: FnArg) {
        if key == "__proto__" {
            return;
        }
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
            return;
        }
        self.0.push((key.to_string(), value));
        // Stable sort: array-index keys first by value, others keep insertion order.
        self.0.sort_by_key(|(k, _)| array_index(k).map_or((1, 0), |n| (0, n)));
    }

    pub fn get(&self, key: &str) -> Option<&FnArg> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// JS "array index" property keys: canonical decimal integers below 2^32 - 1.
fn array_index(k: &str) -> Option<u64> {
    if k.is_empty() || k.len() > 10 || !k.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if k.len() > 1 && k.starts_with('0') {
        return None;
    }
    let n: u64 = k.parse().ok()?;
    (n < u32::MAX as u64).then_some(n)
}

impl Serialize for FnArgs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Node {
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text { props: TextProps { text: s.into() } }
    }

    /// Child nodes, for the node types that have them.
    pub fn children(&self) -> Option<&[Node]> {
        match self {
            Node::Quote { children }
            | Node::Center { children }
            | Node::Bold { children }
            | Node::Small { children }
            | Node::Italic { children }
            | Node::Strike { children }
            | Node::Plain { children }
            | Node::Link { children, .. }
            | Node::Fn { children, .. } => Some(children),
            _ => None,
        }
    }
}
