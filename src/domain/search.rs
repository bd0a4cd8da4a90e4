//! Note search that works for Japanese as well as for space-separated languages.
//!
//! PostgreSQL's text search splits words on spaces, which Japanese and Chinese do not use. So
//! the text is tokenized here: runs of letters and digits become lowercase words, and runs of
//! CJK characters (kana, kanji, hangul) become overlapping character bigrams (a lone character
//! stays a unigram). The tokens are stored as a `tsvector` ('simple' configuration) with a GIN
//! index, and a query is tokenized the same way and must match every token. An `ILIKE` check on
//! the text then keeps only notes that contain the query as typed.

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF
        | 0xFF66..=0xFF9F | 0x20000..=0x2FA1F)
}

/// The search tokens of a text.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush_cjk = |cjk: &mut Vec<char>, out: &mut Vec<String>| {
        match cjk.len() {
            0 => {}
            1 => out.push(cjk[0].to_string()),
            _ => out.extend(cjk.windows(2).map(|w| w.iter().collect::<String>())),
        }
        cjk.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            cjk.push(c);
        } else if c.is_alphanumeric() {
            flush_cjk(&mut cjk, &mut out);
            word.extend(c.to_lowercase());
        } else {
            flush_cjk(&mut cjk, &mut out);
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
        }
    }
    flush_cjk(&mut cjk, &mut out);
    if !word.is_empty() {
        out.push(word);
    }
    out.retain(|t| t.len() <= 200);
    out
}

/// The document for `to_tsvector('simple', …)`: tokens separated by spaces.
pub fn document(text: Option<&str>, cw: Option<&str>) -> String {
    let mut t = tokens(text.unwrap_or(""));
    t.extend(tokens(cw.unwrap_or("")));
    t.join(" ")
}

/// A `to_tsquery('simple', …)` expression requiring every token of the query, or `None` when
/// the query has no searchable token.
pub fn query(q: &str) -> Option<String> {
    let t = tokens(q);
    if t.is_empty() {
        return None;
    }
    let quoted: Vec<String> =
        t.iter().map(|x| format!("'{}'", x.replace('\'', "''").replace('\\', "\\\\"))).collect();
    Some(quoted.join(" & "))
}

/// How many of the newest public notes with hashtags `hashtags` looks through.
const RECENT_TAGGED: i64 = 5000;

#[derive(diesel::QueryableByName)]
struct Tag {
    #[diesel(sql_type = diesel::sql_types::Text)]
    tag: String,
}

/// Hashtags starting with `prefix` (compared as stored), most used first among the newest
/// public notes that carry hashtags: what a compose box offers while a tag is typed.
pub async fn hashtags(
    conn: &mut diesel_async::AsyncPgConnection,
    prefix: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<String>, diesel::result::Error> {
    use diesel::sql_types::{BigInt, Text};
    use diesel_async::RunQueryDsl;
    let normalized = crate::mfm::extract::normalize_for_search(prefix.trim_start_matches('#'));
    if normalized.is_empty() {
        return Ok(Vec::new());
    }
    let like = format!("{}%", crate::db::like_escape(&normalized));
    let rows: Vec<Tag> = diesel::sql_query(
        "SELECT tag::text AS tag FROM (SELECT unnest(tags) AS tag FROM (SELECT tags FROM notes \
         WHERE tags <> '{}' AND visibility = 'public' ORDER BY id DESC LIMIT $1) recent) t \
         WHERE tag LIKE $2 GROUP BY tag ORDER BY count(*) DESC, tag LIMIT $3 OFFSET $4",
    )
    .bind::<BigInt, _>(RECENT_TAGGED)
    .bind::<Text, _>(like)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(offset)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|t| t.tag).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_becomes_bigrams_and_words_stay_words() {
        assert_eq!(tokens("今日は晴れ"), ["今日", "日は", "は晴", "晴れ"]);
        assert_eq!(tokens("Hello, World! 猫"), ["hello", "world", "猫"]);
        assert_eq!(tokens("misskeyで検索"), ["misskey", "で検", "検索"]);
        assert_eq!(query("晴れ"), Some("'晴れ'".into()));
        assert_eq!(query("it's"), Some("'it' & 's'".into()));
        assert_eq!(query("!!"), None);
    }
}
