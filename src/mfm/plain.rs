//! Plain-text rendering of a tree, for notification text and search
//! indexing: markup is dropped, references are kept in their written form.

use crate::mfm::node::Node;

/// Block nodes swallow the newlines around them when parsed, so one newline
/// is put back between a block node and its neighbours (as mfm-js's
/// `toString` does).
fn is_block(n: &Node) -> bool {
    matches!(
        n,
        Node::Quote { .. }
            | Node::Search { .. }
            | Node::BlockCode { .. }
            | Node::MathBlock { .. }
            | Node::Center { .. }
    )
}

/// Renders `nodes` as plain text.
pub fn to_plain(nodes: &[Node]) -> String {
    let mut out = String::new();
    write_nodes(nodes, &mut out);
    out
}

fn write_nodes(nodes: &[Node], out: &mut String) {
    let mut prev_block = None;
    for n in nodes {
        let block = is_block(n);
        if let Some(pb) = prev_block {
            if block || pb {
                out.push('\n');
            }
        }
        prev_block = Some(block);
        write_node(n, out);
    }
}

fn write_node(n: &Node, out: &mut String) {
    match n {
        Node::Text { props } => out.push_str(&props.text),
        Node::Search { props } => out.push_str(&props.query),
        Node::BlockCode { props } => out.push_str(&props.code),
        Node::InlineCode { props } => out.push_str(&props.code),
        Node::MathBlock { props } | Node::MathInline { props } => out.push_str(&props.formula),
        Node::UnicodeEmoji { props } => out.push_str(&props.emoji),
        Node::EmojiCode { props } => {
            out.push(':');
            out.push_str(&props.name);
            out.push(':');
        }
        Node::Mention { props } => out.push_str(&props.acct),
        Node::Hashtag { props } => {
            out.push('#');
            out.push_str(&props.hashtag);
        }
        Node::Url { props } => out.push_str(&props.url),
        Node::Link { props, children } => {
            let start = out.len();
            write_nodes(children, out);
            // Keep the destination visible unless the label already is it.
            if out[start..] != *props.url {
                out.push_str(" (");
                out.push_str(&props.url);
                out.push(')');
            }
        }
        Node::Fn { children, .. }
        | Node::Quote { children }
        | Node::Center { children }
        | Node::Bold { children }
        | Node::Small { children }
        | Node::Italic { children }
        | Node::Strike { children }
        | Node::Plain { children } => write_nodes(children, out),
    }
}
