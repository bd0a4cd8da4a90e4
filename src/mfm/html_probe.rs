//! Cheap pre-pass for `from_html`: html5ever's tree builder does work
//! proportional to the number of open elements for many tags, so hostile,
//! deeply nested markup would take quadratic time. This runs html5ever's
//! tokenizer alone (linear), models the open-element stack roughly to
//! estimate that cost, and collects the text as a plain fallback.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer};
use html5ever::LocalName;
use std::cell::RefCell;
use std::collections::HashMap;

/// Budget for the tree builder: sum over start tags of the nesting depth.
pub(crate) const MAX_TREE_COST: u64 = 2_000_000;

/// Linear pre-pass with html5ever's tokenizer alone: estimates the tree
/// builder's cost (a rough model of its stack of open elements) and keeps the
/// text (with `<br>` as newline) as a fallback.
#[derive(Default)]
pub(crate) struct Probe {
    open: Vec<LocalName>,
    /// How many of each name are on `open`, so end tags need no stack search.
    counts: HashMap<LocalName, usize>,
    pub(crate) cost: u64,
    pub(crate) text: String,
}

struct ProbeSink(RefCell<Probe>);

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

impl Probe {
    fn pop(&mut self) {
        if let Some(n) = self.open.pop() {
            if let Some(c) = self.counts.get_mut(&n) {
                *c -= 1;
            }
        }
    }
}

impl TokenSink for ProbeSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut p = self.0.borrow_mut();
        match token {
            Token::CharacterTokens(t) => p.text.push_str(&t),
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => {
                    if &*tag.name == "br" {
                        p.text.push('\n');
                    }
                    p.cost += p.open.len() as u64;
                    // Elements that implicitly close an open one of their kind.
                    let auto_close = matches!(&*tag.name, "p" | "li" | "dt" | "dd" | "option");
                    if auto_close && p.open.last() == Some(&tag.name) {
                        p.pop();
                    }
                    if !is_void(&tag.name) && !tag.self_closing {
                        *p.counts.entry(tag.name.clone()).or_default() += 1;
                        p.open.push(tag.name);
                    }
                }
                TagKind::EndTag => {
                    if p.counts.get(&tag.name).copied().unwrap_or(0) > 0 {
                        while let Some(top) = p.open.last().cloned() {
                            p.pop();
                            if top == tag.name {
                                break;
                            }
                        }
                    } else {
                        // An unmatched end tag makes the tree builder search the stack.
                        p.cost += p.open.len() as u64;
                    }
                }
            },
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

pub(crate) fn probe(html: &str) -> Probe {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tok = Tokenizer::new(ProbeSink(RefCell::new(Probe::default())), Default::default());
    let _ = tok.feed(&input);
    tok.end();
    tok.sink.0.take()
}
