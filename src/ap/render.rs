//! ActivityStreams JSON of local actors, notes and activities, as Misskey renders them (so
//! Misskey peers read the `_misskey_*` extensions and Mastodon peers the standard fields).
//! Pure functions over rows loaded beforehand ([`super::objects::NoteBatch`]): nothing here
//! queries.

use crate::db::notes::NoteRow;
use crate::db::users::{ProfileRow, UserRow};
use crate::domain::federation::{actor_uri, note_uri};
use crate::mfm::to_html::{to_html, HtmlContext};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";

/// The JSON-LD context of every document served, with Misskey's and Mastodon's extensions.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "Key": "sec:Key",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "quoteUrl": "as:quoteUrl",
            "toot": "http://joinmastodon.org/ns#",
            "Emoji": "toot:Emoji",
            "featured": "toot:featured",
            "discoverable": "toot:discoverable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "misskey": "https://misskey-hub.net/ns#",
            "_misskey_content": "misskey:_misskey_content",
            "_misskey_quote": "misskey:_misskey_quote",
            "_misskey_reaction": "misskey:_misskey_reaction",
            "_misskey_votes": "misskey:_misskey_votes",
            "_misskey_summary": "misskey:_misskey_summary",
            "_misskey_followedMessage": "misskey:_misskey_followedMessage",
            "isCat": "misskey:isCat",
            "vcard": "http://www.w3.org/2006/vcard/ns#"
        }
    ])
}

/// `doc` with the context added in front.
pub fn with_context(doc: Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("@context".into(), context());
    if let Value::Object(m) = doc {
        out.extend(m);
    }
    Value::Object(out)
}

/// The page of a local user for people: `{base}/@username`.
pub fn profile_url(base: &str, user: &UserRow) -> String {
    match &user.host {
        None => format!("{base}/@{}", user.username),
        Some(h) => format!("{base}/@{}@{h}", user.username),
    }
}

fn html_of(base: &str, text: &str, mentioned: &HashMap<(String, Option<String>), String>) -> String {
    let resolver = |username: &str, host: Option<&str>| {
        mentioned.get(&(username.to_lowercase(), host.map(str::to_lowercase))).cloned()
    };
    let ctx = HtmlContext::new(base).with_resolver(&resolver);
    to_html(&crate::mfm::parse(text), &ctx)
}

fn hashtag(base: &str, tag: &str) -> Value {
    json!({ "type": "Hashtag", "href": format!("{base}/tags/{}", crate::mfm::to_html::encode_uri_component(tag)), "name": format!("#{tag}") })
}

/// A local custom emoji as an Emoji tag (also the document at its id).
pub fn emoji(base: &str, e: &crate::domain::emoji::EmojiRow) -> Value {
    json!({
        "id": format!("{base}/emojis/{}", e.name),
        "type": "Emoji",
        "name": format!(":{}:", e.name),
        "updated": e.updated_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        "icon": { "type": "Image", "mediaType": e.type_.as_deref().unwrap_or("image/png"), "url": e.url() },
    })
}

/// A local user as a Person (Service for bots, Application for the instance's own accounts).
pub fn person(base: &str, user: &UserRow, profile: Option<&ProfileRow>, public_key_pem: &str) -> Value {
    let id = actor_uri(base, user);
    let kind = if user.is_system {
        "Application"
    } else if user.is_bot {
        "Service"
    } else {
        "Person"
    };
    let description = profile.and_then(|p| p.description.clone());
    let summary = description.as_deref().map(|d| html_of(base, d, &HashMap::new()));
    let tags: Vec<Value> = description
        .as_deref()
        .map(|d| crate::mfm::extract::extract_hashtags(&crate::mfm::parse(d)))
        .unwrap_or_default()
        .iter()
        .map(|t| hashtag(base, t))
        .collect();
    let fields: Vec<Value> = profile
        .and_then(|p| p.fields.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| {
            let name = f.get("name")?.as_str()?;
            let value = f.get("value")?.as_str()?;
            Some(json!({ "type": "PropertyValue", "name": name, "value": html_of(base, value, &HashMap::new()) }))
        })
        .collect();
    let image =
        |url: &Option<String>| url.as_ref().map(|u| json!({ "type": "Image", "url": u, "sensitive": false }));
    with_context(json!({
        "type": kind,
        "id": id,
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "following": format!("{id}/following"),
        "featured": format!("{id}/collections/featured"),
        "sharedInbox": format!("{base}/inbox"),
        "endpoints": { "sharedInbox": format!("{base}/inbox") },
        "url": profile_url(base, user),
        "preferredUsername": user.username,
        "name": user.name,
        "summary": summary,
        "_misskey_summary": description,
        "_misskey_followedMessage": profile.and_then(|p| p.followed_message.clone()),
        "icon": image(&user.avatar_url),
        "image": image(&user.banner_url),
        "tag": tags,
        "manuallyApprovesFollowers": user.is_locked,
        "discoverable": user.is_explorable,
        "publicKey": {
            "id": format!("{id}#main-key"),
            "type": "Key",
            "owner": id,
            "publicKeyPem": public_key_pem,
        },
        "isCat": user.is_cat,
        "attachment": fields,
    }))
}

/// A poll's state for its Question.
#[derive(Debug, Clone)]
pub struct PollRow {
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub multiple: bool,
    pub choices: Vec<String>,
    pub votes: Vec<i32>,
}

/// What a note's rendering needs besides the note: its author, the notes it replies to and
/// quotes, the users it mentions, its poll.
pub struct NoteParts<'a> {
    pub author: &'a UserRow,
    pub reply: Option<&'a NoteRow>,
    pub renote: Option<&'a NoteRow>,
    pub mentioned: Vec<&'a UserRow>,
    pub poll: Option<&'a PollRow>,
    /// Its drive files, in order.
    pub files: Vec<&'a crate::db::drive::FileRow>,
    /// The local custom emoji it uses.
    pub emojis: Vec<&'a crate::domain::emoji::EmojiRow>,
}

/// Who a note is addressed to, by its visibility: (to, cc).
fn audience(base: &str, note: &NoteRow, p: &NoteParts) -> (Vec<String>, Vec<String>) {
    let followers = format!("{}/followers", actor_uri(base, p.author));
    let mentions: Vec<String> = p.mentioned.iter().map(|u| actor_uri(base, u)).collect();
    let with = |mut v: Vec<String>, rest: &[String]| {
        v.extend(rest.iter().cloned());
        v
    };
    match note.visibility.as_str() {
        "public" => (vec![PUBLIC.into()], with(vec![followers], &mentions)),
        "home" => (vec![followers], with(vec![PUBLIC.into()], &mentions)),
        "followers" => (vec![followers], mentions),
        _ => (mentions, vec![]),
    }
}

/// A drive file as an attachment (Misskey's Document: alt text as `name`, its blurhash, size).
fn document(f: &crate::db::drive::FileRow) -> Value {
    let mut d = json!({
        "type": "Document",
        "mediaType": f.type_,
        "url": f.url,
        "name": f.comment,
        "sensitive": f.is_sensitive,
    });
    if let Some(b) = &f.blurhash {
        d["blurhash"] = json!(b);
    }
    for k in ["width", "height"] {
        if let Some(v) = f.properties.get(k) {
            d[k] = v.clone();
        }
    }
    d
}

/// A note as a Note (or a Question when it has a poll).
pub fn note(base: &str, note: &NoteRow, p: &NoteParts) -> Value {
    let id = note_uri(base, note);
    let (to, cc) = audience(base, note, p);
    let mentioned: HashMap<(String, Option<String>), String> = p
        .mentioned
        .iter()
        .map(|u| ((u.username.to_lowercase(), u.host.clone()), profile_url(base, u)))
        .collect();
    let quote = p.renote.map(|r| note_uri(base, r));
    let mut content = note.text.as_deref().map(|t| html_of(base, t, &mentioned)).unwrap_or_default();
    if let Some(q) = &quote {
        let escaped = crate::mfm::to_html::escaped(q);
        content.push_str(&format!(
            "<span class=\"quote-inline\"><br><br>RE: <a href=\"{escaped}\">{escaped}</a></span>"
        ));
    }
    let mut tag: Vec<Value> = p
        .mentioned
        .iter()
        .map(|u| {
            let host = u.host.clone().or_else(|| crate::domain::federation::authority_of(base)).unwrap_or_default();
            json!({ "type": "Mention", "href": actor_uri(base, u), "name": format!("@{}@{host}", u.username) })
        })
        .collect();
    tag.extend(note.tags.iter().map(|t| hashtag(base, t)));
    tag.extend(p.emojis.iter().map(|e| emoji(base, e)));
    let mut doc = json!({
        "id": id,
        "type": "Note",
        "attributedTo": actor_uri(base, p.author),
        "summary": note.cw.as_ref().map(|c| if c.is_empty() { "\u{200b}".to_string() } else { c.clone() }),
        "content": content,
        "published": note.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "to": to,
        "cc": cc,
        "inReplyTo": p.reply.map(|r| note_uri(base, r)),
        "attachment": p.files.iter().map(|f| document(f)).collect::<Vec<_>>(),
        "sensitive": p.files.iter().any(|f| f.is_sensitive),
        "tag": tag,
    });
    if let Some(text) = &note.text {
        doc["_misskey_content"] = json!(text);
        doc["source"] = json!({ "content": text, "mediaType": "text/x.misskeymarkdown" });
    }
    if let Some(q) = quote {
        doc["_misskey_quote"] = json!(q);
        doc["quoteUrl"] = json!(q);
    }
    if let Some(poll) = p.poll {
        doc["type"] = json!("Question");
        let options: Vec<Value> = poll
            .choices
            .iter()
            .zip(poll.votes.iter().chain(std::iter::repeat(&0)))
            .map(|(name, n)| json!({ "type": "Note", "name": name, "replies": { "type": "Collection", "totalItems": n } }))
            .collect();
        doc[if poll.multiple { "anyOf" } else { "oneOf" }] = json!(options);
        if let Some(end) = poll.expires_at {
            doc["endTime"] = json!(end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            if end <= chrono::Utc::now() {
                doc["closed"] = json!(end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            }
        }
    }
    doc
}

/// The activity that published a note: Create of the Note, or Announce of the renoted note for
/// a pure renote. Its id is stable (`{note}/activity`), so a redelivery is the same activity.
pub fn activity(base: &str, n: &NoteRow, p: &NoteParts) -> Value {
    let id = format!("{}/activity", note_uri(base, n));
    let (to, cc) = audience(base, n, p);
    let published = n.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let actor = actor_uri(base, p.author);
    match p.renote {
        Some(target) if crate::domain::notes::is_pure_renote(n) => json!({
            "id": id, "actor": actor, "type": "Announce", "published": published,
            "to": to, "cc": cc, "object": note_uri(base, target),
        }),
        _ => json!({
            "id": id, "actor": actor, "type": "Create", "published": published,
            "to": to, "cc": cc, "object": note(base, n, p),
        }),
    }
}
