//! Handler for the `misskey-rs mfm …` subcommands; the main crate's clap
//! wiring builds an [`MfmCommand`] (or hands the raw arguments to
//! [`MfmCommand::from_args`]) and prints what [`run_cli`] returns, reading
//! all of stdin as `input`. Command line shape (tests/mfm_parity.rs relies on
//! `parse --jsonl [--simple]`):
//!
//! ```text
//! misskey-rs mfm parse [--jsonl] [--simple] [--nest-limit N]
//! misskey-rs mfm html  [--jsonl] [--base-url URL]
//! misskey-rs mfm plain [--jsonl]
//! ```
//!
//! With `jsonl`, the input holds one JSON string per line and the output one
//! result per line (a JSON tree for `parse`, a JSON string for `html` and
//! `plain`): the parity test pipes its whole corpus through one process.

use crate::mfm::{parse, parse_simple, parse_with_nest_limit, to_html, to_json, to_plain, HtmlContext};

/// One `mfm` subcommand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfmCommand {
    /// Print the mfm-js-shaped JSON tree.
    Parse { jsonl: bool, simple: bool, nest_limit: Option<u32> },
    /// Print ActivityPub `content` HTML; links resolve against `base_url`.
    Html { jsonl: bool, base_url: String },
    /// Print plain text.
    Plain { jsonl: bool },
}

impl MfmCommand {
    /// Parses the arguments after `mfm` (e.g. `["parse", "--jsonl"]`).
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Result<MfmCommand, String> {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let (sub, rest) = args.split_first().ok_or("usage: mfm parse|html|plain [--jsonl] …")?;
        let (mut jsonl, mut simple, mut nest_limit, mut base_url) = (false, false, None, None);
        let mut it = rest.iter();
        while let Some(&a) = it.next() {
            match a {
                "--jsonl" => jsonl = true,
                "--simple" if *sub == "parse" => simple = true,
                "--nest-limit" if *sub == "parse" => {
                    let n = it.next().ok_or("--nest-limit needs a number")?;
                    nest_limit = Some(n.parse().map_err(|_| format!("bad --nest-limit {n:?}"))?);
                }
                "--base-url" if *sub == "html" => {
                    base_url = Some(it.next().ok_or("--base-url needs a URL")?.to_string())
                }
                _ => return Err(format!("unknown argument {a:?} for mfm {sub}")),
            }
        }
        match *sub {
            "parse" => Ok(MfmCommand::Parse { jsonl, simple, nest_limit }),
            "html" => Ok(MfmCommand::Html {
                jsonl,
                base_url: base_url.unwrap_or_else(|| "https://localhost".into()),
            }),
            "plain" => Ok(MfmCommand::Plain { jsonl }),
            other => Err(format!("unknown mfm command {other:?} (expected parse, html or plain)")),
        }
    }
}

/// Runs `cmd` over `input` (stdin) and returns what to print on stdout.
pub fn run_cli(cmd: MfmCommand, input: &str) -> Result<String, String> {
    let jsonl = match &cmd {
        MfmCommand::Parse { jsonl, .. } | MfmCommand::Html { jsonl, .. } | MfmCommand::Plain { jsonl } => {
            *jsonl
        }
    };
    if !jsonl {
        let mut out = run_one(&cmd, input);
        out.push('\n');
        return Ok(out);
    }
    let mut out = String::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let text: String =
            serde_json::from_str(line).map_err(|e| format!("line {}: not a JSON string: {e}", i + 1))?;
        let res = run_one(&cmd, &text);
        match cmd {
            MfmCommand::Parse { .. } => out.push_str(&res),
            _ => out.push_str(&serde_json::to_string(&res).map_err(|e| e.to_string())?),
        }
        out.push('\n');
    }
    Ok(out)
}

fn run_one(cmd: &MfmCommand, text: &str) -> String {
    match cmd {
        MfmCommand::Parse { simple: true, .. } => to_json(&parse_simple(text)),
        MfmCommand::Parse { nest_limit: Some(n), .. } => to_json(&parse_with_nest_limit(text, *n)),
        MfmCommand::Parse { .. } => to_json(&parse(text)),
        MfmCommand::Html { base_url, .. } => {
            let ctx = HtmlContext::new(base_url);
            to_html(&parse(text), &ctx)
        }
        MfmCommand::Plain { .. } => to_plain(&parse(text)),
    }
}
