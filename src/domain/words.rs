//! Word lists: the instance's prohibited words (a note holding one is refused, local or
//! remote), sensitive words (a public note holding one is kept out of the public timelines),
//! words prohibited in display names, and the shape of users' muted and hard-muted word lists
//! (which their clients apply, as Misskey's do).
//!
//! An entry is either words separated by spaces, all of which must occur (`"buy cheap"`), or a
//! regular expression between slashes with optional flags (`"/bu+y/i"`). Expressions are those
//! of RE2 (no look-around, no back-references), which is what the `regex` crate reads, so an
//! expression Misskey accepts means the same here; one it would refuse is refused on input.

use super::settings::Timed;
use super::Error;
use diesel_async::AsyncPgConnection;
use std::sync::Arc;

/// Entries at most, per list.
pub const MAX_ENTRIES: usize = 1000;
/// Characters at most, per entry.
pub const MAX_ENTRY: usize = 1024;
/// Compiled size at most of one expression: a list is matched against every note stored.
const MAX_REGEX_SIZE: usize = 256 * 1024;

/// One list, ready to match.
#[derive(Debug, Default, Clone)]
pub struct WordList {
    /// Each entry's words; an entry matches when all occur.
    all_of: Vec<Vec<String>>,
    patterns: Vec<regex::Regex>,
    /// The patterns as one set, matched in one pass (built by [`WordList::prepared`]).
    set: Option<regex::RegexSet>,
}

/// `/body/flags` → (body, flags).
fn as_pattern(entry: &str) -> Option<(&str, &str)> {
    let rest = entry.strip_prefix('/')?;
    let end = rest.rfind('/')?;
    let (body, flags) = (&rest[..end], &rest[end + 1..]);
    (!body.is_empty()).then_some((body, flags))
}

fn compile(body: &str, flags: &str) -> Result<regex::Regex, String> {
    let mut inline = String::new();
    for f in flags.chars() {
        match f {
            'i' | 'm' | 's' if !inline.contains(f) => inline.push(f),
            // Global, sticky and Unicode change nothing for a yes/no test.
            'i' | 'm' | 's' | 'g' | 'y' | 'u' => {}
            other => return Err(format!("unknown regular expression flag {other:?}")),
        }
    }
    let source = if inline.is_empty() { body.to_owned() } else { format!("(?{inline}){body}") };
    regex::RegexBuilder::new(&source)
        .size_limit(MAX_REGEX_SIZE)
        .build()
        .map_err(|e| format!("not a regular expression RE2 accepts: {e}"))
}

impl WordList {
    /// Reads a list as stored or as given, each entry checked; blank entries are dropped.
    /// The error names the entry at fault.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<WordList, String> {
        if entries.len() > MAX_ENTRIES {
            return Err(format!("at most {MAX_ENTRIES} entries"));
        }
        let mut list = WordList::default();
        for e in entries {
            let e = e.as_ref().trim();
            if e.is_empty() {
                continue;
            }
            if e.chars().count() > MAX_ENTRY {
                return Err(format!("an entry is at most {MAX_ENTRY} characters"));
            }
            match as_pattern(e) {
                Some((body, flags)) => {
                    list.patterns.push(compile(body, flags).map_err(|m| format!("{e}: {m}"))?)
                }
                None => list.all_of.push(e.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect()),
            }
        }
        Ok(list)
    }

    /// Reads a stored list, leaving out (and logging) entries that no longer compile, so one
    /// bad entry never stops notes from being written.
    pub fn lenient(entries: &[String]) -> WordList {
        let mut list = WordList::default();
        for e in entries {
            match WordList::parse(std::slice::from_ref(e)) {
                Ok(one) => {
                    list.all_of.extend(one.all_of);
                    list.patterns.extend(one.patterns);
                }
                Err(err) => tracing::warn!(error = %err, "a stored word list entry is left out"),
            }
        }
        list
    }

    /// The list with its patterns joined into one set, for lists matched against every note.
    pub fn prepared(mut self) -> WordList {
        if self.patterns.len() > 1 {
            self.set = regex::RegexSetBuilder::new(self.patterns.iter().map(regex::Regex::as_str))
                .size_limit(64 * 1024 * 1024)
                .build()
                .ok();
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.all_of.is_empty() && self.patterns.is_empty()
    }

    /// Whether any entry matches `text`.
    pub fn matches(&self, text: &str) -> bool {
        !text.is_empty()
            && (self.all_of.iter().any(|ws| ws.iter().all(|w| text.contains(w.as_str())))
                || match &self.set {
                    Some(set) => set.is_match(text),
                    None => self.patterns.iter().any(|p| p.is_match(text)),
                })
    }
}

/// Checks a list given by a client (an administrator's or a user's) and answers it cleaned:
/// trimmed, blanks dropped.
pub fn checked(param: &'static str, entries: &[String]) -> Result<Vec<String>, Error> {
    WordList::parse(entries).map_err(|e| Error::invalid(param, e))?;
    Ok(entries.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect())
}

/// Reads a user's muted or hard-muted words in Misskey's shape: each entry an array of words
/// that must all occur, or a string holding a `/regular expression/`.
pub fn user_list(entries: &[serde_json::Value]) -> Result<WordList, BadList> {
    const SHAPE: &str = "each entry is a list of words or a /regular expression/";
    if entries.len() > MAX_ENTRIES {
        return Err(BadList::Shape(format!("at most {MAX_ENTRIES} entries")));
    }
    let mut list = WordList::default();
    for e in entries {
        match e {
            serde_json::Value::String(s) => {
                let s = s.trim();
                let (body, flags) = as_pattern(s).ok_or_else(|| BadList::Regex(format!("{s}: not /…/")))?;
                if s.chars().count() > MAX_ENTRY {
                    return Err(BadList::Shape(format!("an entry is at most {MAX_ENTRY} characters")));
                }
                list.patterns.push(compile(body, flags).map_err(|m| BadList::Regex(format!("{s}: {m}")))?);
            }
            serde_json::Value::Array(ws) => {
                let mut words = Vec::with_capacity(ws.len());
                for w in ws {
                    let w = w.as_str().ok_or(BadList::Shape(SHAPE.into()))?.trim();
                    if w.chars().count() > MAX_ENTRY {
                        return Err(BadList::Shape(format!("a word is at most {MAX_ENTRY} characters")));
                    }
                    if !w.is_empty() {
                        words.push(w.to_owned());
                    }
                }
                if !words.is_empty() {
                    list.all_of.push(words);
                }
            }
            _ => return Err(BadList::Shape(SHAPE.into())),
        }
    }
    Ok(list)
}

/// A user's hard-muted words as stored (`None` when they have none, or the stored list no
/// longer reads), ready to match.
pub fn hard_muted(stored: &serde_json::Value) -> Option<std::sync::Arc<WordList>> {
    let list = user_list(stored.as_array()?).ok()?;
    (!list.all_of.is_empty() || !list.patterns.is_empty()).then(|| std::sync::Arc::new(list.prepared()))
}

/// Whether a viewer's hard-muted words hide a note from them: its warning or text holds one
/// (never the viewer's own notes). Applied to every list of notes the viewer reads and to their
/// streams.
pub fn hides(hard: Option<&WordList>, viewer: Option<&str>, n: &crate::db::notes::NoteRow) -> bool {
    let Some(list) = hard else { return false };
    if viewer == Some(n.user_id.as_str()) {
        return false;
    }
    let text = format!("{}\n{}", n.cw.as_deref().unwrap_or(""), n.text.as_deref().unwrap_or(""));
    list.matches(text.trim())
}

/// Why a user's word list was not taken.
#[derive(Debug)]
pub enum BadList {
    /// Not a list of word lists and strings, or too long.
    Shape(String),
    /// A string entry that is not a regular expression RE2 reads.
    Regex(String),
}

/// Refuses a note holding a prohibited word, and keeps a public one holding a sensitive word
/// out of the public timelines (answers the visibility it gets). One rule for local and
/// remote notes.
pub async fn check_note(
    conn: &mut AsyncPgConnection,
    cw: Option<&str>,
    text: Option<&str>,
    choices: &[String],
    visibility: &str,
) -> Result<Option<&'static str>, Error> {
    let w = instance(conn).await?;
    if w.prohibited.is_empty() && w.sensitive.is_empty() {
        return Ok(None);
    }
    if w.prohibited.matches(&note_text(cw, text, choices)) {
        return Err(super::Refusal::ContainsProhibitedWords.into());
    }
    // As Misskey: the warning, or the text when there is none.
    let shown = cw.or(text).unwrap_or("");
    Ok((visibility == "public" && w.sensitive.matches(shown)).then_some("home"))
}

/// Refuses a display name holding a word prohibited in names (staff may use any).
pub async fn check_name(conn: &mut AsyncPgConnection, name: &str, staff: bool) -> Result<(), Error> {
    if !staff && instance(conn).await?.prohibited_in_names.matches(name) {
        return Err(super::Refusal::NameContainsProhibitedWords.into());
    }
    Ok(())
}

/// The text of a note as the word lists see it: content warning and text run together (a
/// warning may end mid-sentence), then the poll's choices.
pub fn note_text(cw: Option<&str>, text: Option<&str>, choices: &[String]) -> String {
    let mut s = String::with_capacity(cw.map_or(0, str::len) + text.map_or(0, str::len) + 16);
    s.push_str(cw.unwrap_or(""));
    s.push_str(text.unwrap_or(""));
    for c in choices {
        s.push('\n');
        s.push_str(c);
    }
    s
}

/// The instance's lists.
#[derive(Debug, Default)]
pub struct InstanceWords {
    pub prohibited: WordList,
    pub sensitive: WordList,
    pub prohibited_in_names: WordList,
}

static INSTANCE: Timed<InstanceWords> = Timed::new();

/// The lists last compiled, with the stored entries they came from: compiling a thousand
/// expressions is done again only when the entries changed.
type Compiled = ((Vec<String>, Vec<String>, Vec<String>), Arc<InstanceWords>);
static COMPILED: std::sync::Mutex<Option<Compiled>> = std::sync::Mutex::new(None);

/// The instance's lists as this process last read them (read again after a short while, so an
/// administrator's change reaches every process).
pub async fn instance(conn: &mut AsyncPgConnection) -> Result<Arc<InstanceWords>, Error> {
    if let Some(w) = INSTANCE.fresh() {
        return Ok(w);
    }
    let raw = crate::db::meta::word_lists(conn).await?;
    let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    let words = match compiled.as_ref() {
        Some((was, w)) if *was == raw => w.clone(),
        _ => {
            let w = Arc::new(InstanceWords {
                prohibited: WordList::lenient(&raw.0).prepared(),
                sensitive: WordList::lenient(&raw.1).prepared(),
                prohibited_in_names: WordList::lenient(&raw.2).prepared(),
            });
            *compiled = Some((raw, w.clone()));
            w
        }
    };
    drop(compiled);
    INSTANCE.store_arc(words.clone());
    Ok(words)
}

/// Forgets the lists read, after this process changed them.
pub fn forget() {
    INSTANCE.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_as_misskey_reads_them() {
        let l = WordList::parse(&["buy cheap", "/sp[a4]m+/i", "  ", "単語"]).unwrap();
        assert!(l.matches("cheap pills, buy now"));
        assert!(!l.matches("buy nothing"));
        assert!(l.matches("SPAAAM? no, SP4MMM"));
        assert!(l.matches("この単語は"));
        assert!(!l.matches(""));
        assert!(!WordList::parse::<&str>(&[]).unwrap().matches("anything"));
    }

    #[test]
    fn bad_entries_are_named() {
        let e = WordList::parse(&["ok", "/(unclosed/"]).unwrap_err();
        assert!(e.contains("(unclosed"), "{e}");
        assert!(WordList::parse(&["/a/x"]).unwrap_err().contains("flag"));
        // Look-around is not RE2.
        assert!(WordList::parse(&["/a(?=b)/"]).is_err());
        assert!(WordList::parse(&["/(a{1000}){1000}/"]).is_err());
        let many: Vec<String> = (0..=MAX_ENTRIES).map(|i| i.to_string()).collect();
        assert!(WordList::parse(&many).is_err());
        // A slash-only entry is a word, not an empty expression.
        assert!(WordList::parse(&["//"]).unwrap().matches("http://x"));
    }

    #[test]
    fn a_prepared_list_matches_as_its_entries_do() {
        let entries = ["/^ad:/m", "/SP[A4]M/i", "/a.b/s", "buy cheap"];
        let (one, set) = (WordList::parse(&entries).unwrap(), WordList::parse(&entries).unwrap().prepared());
        assert!(set.set.is_some());
        for t in ["x\nad: y", "spam", "a\nb", "cheap buy", "nothing", "ad: x", "AD: x"] {
            assert_eq!(one.matches(t), set.matches(t), "{t}");
        }
        assert!(set.matches("a\nb") && !set.matches("AD: x"));
    }

    #[test]
    fn stored_lists_skip_what_no_longer_compiles() {
        let l = WordList::lenient(&["/(/".into(), "spam".into()]);
        assert!(l.matches("spam"));
    }

    #[test]
    fn user_lists_read_misskeys_shape() {
        use serde_json::json;
        let l = user_list(&[json!(["cheap", "pills"]), json!("/^ad:/m"), json!(["a b"])]).unwrap();
        assert!(l.matches("pills, cheap"));
        assert!(l.matches("hi\nad: buy"));
        assert!(l.matches("x a b y"));
        assert!(!l.matches("a and b"));
        assert!(matches!(user_list(&[json!("plain")]), Err(BadList::Regex(_))));
        assert!(matches!(user_list(&[json!("/(/")]), Err(BadList::Regex(_))));
        assert!(matches!(user_list(&[json!(1)]), Err(BadList::Shape(_))));
    }

    #[test]
    fn note_text_joins_warning_and_text() {
        assert_eq!(note_text(Some("bu"), Some("y now"), &["a".into()]), "buy now\na");
    }
}
