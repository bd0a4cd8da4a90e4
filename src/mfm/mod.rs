//! MFM (Misskey Flavored Markdown): a parser producing the same node tree as
//! mfm-js 0.26 (`parse` / `parseSimple`), plus renderers (`to_html`,
//! `to_plain`), the reverse conversion for remote notes (`from_html`),
//! extraction of mentions / hashtags / emoji, and the CLI handler.
//!
//! Layout: `node` (tree + JSON shape), `parser` (core, memo, dispatch),
//! `lexer` (character helpers), `rules_*` (the grammar), `emoji` +
//! `emoji_table` (generated twemoji-regex matcher).

pub mod cli;
mod emoji;
mod emoji_table;
pub mod extract;
pub mod from_html;
mod html_probe;
mod lexer;
pub mod node;
mod parser;
pub mod plain;
mod rules_block;
mod rules_inline;
mod rules_link;
mod scan;
pub mod to_html;

#[cfg(test)]
mod tests;

pub use extract::{extract_emojis, extract_hashtags, extract_mentions, normalize_for_search, MentionRef};
pub use from_html::{from_html, ApTag};
pub use node::Node;
pub use plain::to_plain;
pub use to_html::{to_html, HtmlContext, MentionResolver};

/// mfm-js's default nesting limit.
pub const DEFAULT_NEST_LIMIT: u32 = 20;

/// Parses MFM like mfm-js `parse(input)`.
pub fn parse(input: &str) -> Vec<Node> {
    parse_with_nest_limit(input, DEFAULT_NEST_LIMIT)
}

/// Parses MFM like mfm-js `parse(input, { nestLimit })`. Limits above
/// 64 are treated as 64, to bound recursion (see tests/mfm/KNOWN_DIFFERENCES.md).
pub fn parse_with_nest_limit(input: &str, nest_limit: u32) -> Vec<Node> {
    parser::Parser::new(input, nest_limit).parse_all(parser::FULL, 0)
}

/// Parses like mfm-js `parseSimple(input)`: only text, unicode emoji, emoji
/// codes and `<plain>`.
pub fn parse_simple(input: &str) -> Vec<Node> {
    parser::Parser::new(input, parser::MAX_NEST_LIMIT).parse_all(parser::SIMPLE, 0)
}

/// Serializes a tree exactly as mfm-js's `JSON.stringify(tree)` would.
pub fn to_json(nodes: &[Node]) -> String {
    serde_json::to_string(nodes).unwrap_or_else(|_| "[]".to_string())
}
