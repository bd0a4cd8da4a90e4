//! Remote objects made local: actors (and their keys) and notes are looked up here first and
//! fetched — signed by the instance actor — when unknown or stale; what is fetched passes the
//! same checks as what arrives in the inbox (an object's id must be on the host it was
//! fetched from, a note's author on the note's host) before the domain stores it.

use super::client::FetchError;
use super::signature::{PublicKey, Signer};
use super::Federation;
use crate::db::notes::NoteRow;
use crate::db::users::UserRow;
use crate::domain::remote::Actor;
use crate::domain::Error;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long a remote actor is used before it is fetched again.
const ACTOR_FRESH: chrono::Duration = chrono::Duration::hours(24);
/// How long a verified key is kept in memory.
const KEY_TTL: Duration = Duration::from_secs(3600);
/// How deep a reply chain is followed when a note arrives.
pub const MAX_DEPTH: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("fetching failed: {0}")]
    Fetch(#[from] FetchError),
    #[error("unacceptable object: {0}")]
    Invalid(String),
    #[error(transparent)]
    Domain(#[from] Error),
}

impl ResolveError {
    pub fn transient(&self) -> bool {
        match self {
            ResolveError::Fetch(f) => f.transient(),
            ResolveError::Invalid(_) => false,
            ResolveError::Domain(e) => matches!(e, Error::Unavailable(_) | Error::Internal(_)),
        }
    }
}

fn invalid(why: impl Into<String>) -> ResolveError {
    ResolveError::Invalid(why.into())
}

/// A string, or the `id` of an object, or the first of a list of either.
pub fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        Value::Array(a) => a.first().and_then(id_of),
        _ => None,
    }
}

/// The `url` of an image value (string, Image object or list).
fn image_url(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("url").and_then(|u| image_url(Some(u))),
        Value::Array(a) => image_url(a.first()),
        _ => None,
    }
}

/// `host[:port]` of a URL string, if it is one.
pub use crate::domain::federation::authority_of as host_of;

fn str_field(doc: &Value, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Reads an actor document fetched from (or claimed by) `host`.
pub fn parse_actor(doc: &Value, host: &str) -> Result<Actor, ResolveError> {
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    if !matches!(kind, "Person" | "Service" | "Group" | "Organization" | "Application") {
        return Err(invalid(format!("not an actor: {kind}")));
    }
    let uri = str_field(doc, "id").ok_or_else(|| invalid("actor without id"))?;
    if host_of(&uri).as_deref() != Some(host) {
        return Err(invalid("the actor's id is on another host"));
    }
    let username =
        str_field(doc, "preferredUsername").ok_or_else(|| invalid("actor without preferredUsername"))?;
    let inbox = str_field(doc, "inbox").ok_or_else(|| invalid("actor without inbox"))?;
    let key = doc.get("publicKey").map(|k| {
        if let Value::Array(a) = k {
            a.first().cloned().unwrap_or_default()
        } else {
            k.clone()
        }
    });
    let key = key.ok_or_else(|| invalid("actor without publicKey"))?;
    let key_id = str_field(&key, "id").ok_or_else(|| invalid("publicKey without id"))?;
    let key_pem = str_field(&key, "publicKeyPem").ok_or_else(|| invalid("publicKey without publicKeyPem"))?;
    if host_of(&key_id).as_deref() != Some(host)
        || key.get("owner").and_then(Value::as_str).is_some_and(|o| o != uri)
    {
        return Err(invalid("the key belongs elsewhere"));
    }
    PublicKey::from_pem(&key_pem).map_err(|_| invalid("unusable public key"))?;
    let same_host = |u: Option<String>| u.filter(|u| host_of(u).as_deref() == Some(host));
    let description = match str_field(doc, "_misskey_summary") {
        Some(mfm) => Some(mfm),
        None => str_field(doc, "summary").map(|html| crate::mfm::from_html(&html, &[])),
    };
    Ok(Actor {
        uri,
        host: host.to_string(),
        username,
        name: str_field(doc, "name").filter(|n| !n.is_empty()),
        description,
        inbox: same_host(Some(inbox)).ok_or_else(|| invalid("the inbox is on another host"))?,
        shared_inbox: same_host(
            doc.get("endpoints")
                .and_then(|e| str_field(e, "sharedInbox"))
                .or_else(|| str_field(doc, "sharedInbox")),
        ),
        followers_uri: str_field(doc, "followers"),
        featured_uri: str_field(doc, "featured"),
        url: doc.get("url").and_then(id_of),
        avatar_url: image_url(doc.get("icon")),
        banner_url: image_url(doc.get("image")),
        is_locked: doc.get("manuallyApprovesFollowers").and_then(Value::as_bool).unwrap_or(false),
        is_bot: kind == "Service" || kind == "Application",
        is_cat: doc.get("isCat").and_then(Value::as_bool).unwrap_or(false),
        is_explorable: doc.get("discoverable").and_then(Value::as_bool).unwrap_or(true),
        key_id,
        key_pem,
    })
}

impl Federation {
    /// The instance actor's signer, for GETs.
    async fn instance_signer(&self) -> Result<&Signer, ResolveError> {
        self.instance
            .get_or_try_init(|| async {
                let mut conn = self.state.db.get().await.map_err(Error::from)?;
                let (id, pem) = crate::domain::users::instance_actor_key(&mut conn).await?;
                Signer::new(&pem, &format!("{}/users/{id}#main-key", self.base))
                    .map_err(|_| invalid("the instance actor's key is unusable"))
            })
            .await
    }

    /// Fetches a document with the instance actor's signature.
    pub async fn fetch(&self, url: &str) -> Result<Value, ResolveError> {
        let signer = self.instance_signer().await?;
        Ok(self.client.get(url, Some(signer)).await?)
    }

    /// Whether a URI is this server's own.
    pub fn is_local(&self, uri: &str) -> bool {
        uri.starts_with(&format!("{}/", self.base))
    }

    /// The remote user with actor id `uri`, fetched when unknown or stale (or `refresh`).
    pub async fn actor(&self, uri: &str, refresh: bool) -> Result<UserRow, ResolveError> {
        if self.is_local(uri) {
            return Err(invalid("a local URI is no remote actor"));
        }
        let mut conn = self.state.db.get().await.map_err(Error::from)?;
        let known = crate::domain::remote::by_uri(&mut conn, uri).await?;
        if let Some(u) = &known {
            let fresh = u.last_fetched_at.is_some_and(|t| chrono::Utc::now() - t < ACTOR_FRESH);
            if fresh && !refresh {
                return Ok(u.clone());
            }
        }
        drop(conn);
        let host = host_of(uri).ok_or_else(|| invalid("not a URL"))?;
        let fetched = self.fetch(uri).await.and_then(|doc| parse_actor(&doc, &host));
        match (fetched, known) {
            (Ok(actor), _) => {
                let mut conn = self.state.db.get().await.map_err(Error::from)?;
                Ok(crate::domain::remote::upsert(&mut conn, actor).await?)
            }
            // A known actor whose server is away stays usable.
            (Err(e), Some(u)) if e.transient() && !refresh => Ok(u),
            (Err(e), _) => Err(e),
        }
    }

    /// The signer behind `key_id` and its key: from memory, the database, or its actor.
    /// `refetch` fetches the actor again (its key may have been rotated).
    pub async fn key(&self, key_id: &str, refetch: bool) -> Result<(UserRow, PublicKey), ResolveError> {
        if !refetch {
            if let Some((at, user, key)) = self.keys.lock().unwrap_or_else(|e| e.into_inner()).get(key_id) {
                if at.elapsed() < KEY_TTL {
                    return Ok((user.clone(), key.clone()));
                }
            }
            let mut conn = self.state.db.get().await.map_err(Error::from)?;
            if let Some((user, pem)) = crate::domain::remote::key(&mut conn, key_id).await? {
                let key = PublicKey::from_pem(&pem).map_err(|_| invalid("unusable stored key"))?;
                self.remember(key_id, &user, &key);
                return Ok((user, key));
            }
        }
        // The key's document: usually the actor itself (`…#main-key`), or a Key with an owner.
        let doc_url = key_id.split('#').next().unwrap_or(key_id);
        let host = host_of(doc_url).ok_or_else(|| invalid("keyId is not a URL"))?;
        let doc = self.fetch(doc_url).await?;
        let actor_uri = match doc.get("type").and_then(Value::as_str) {
            Some("Key") | Some("CryptographicKey") => {
                str_field(&doc, "owner").ok_or_else(|| invalid("a key without owner"))?
            }
            _ => str_field(&doc, "id").ok_or_else(|| invalid("no id"))?,
        };
        if host_of(&actor_uri).as_deref() != Some(host.as_str()) {
            return Err(invalid("the key's owner is on another host"));
        }
        let user = self.actor(&actor_uri, true).await?;
        let mut conn = self.state.db.get().await.map_err(Error::from)?;
        let (owner, pem) = crate::domain::remote::key(&mut conn, key_id)
            .await?
            .ok_or_else(|| invalid("the actor does not have this key"))?;
        if owner.id != user.id {
            return Err(invalid("the key belongs to another actor"));
        }
        let key = PublicKey::from_pem(&pem).map_err(|_| invalid("unusable key"))?;
        self.remember(key_id, &owner, &key);
        Ok((owner, key))
    }

    fn remember(&self, key_id: &str, user: &UserRow, key: &PublicKey) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() > 10_000 {
            keys.retain(|_, (at, _, _)| at.elapsed() < KEY_TTL);
        }
        keys.insert(key_id.to_string(), (Instant::now(), user.clone(), key.clone()));
    }

    /// The note with ActivityPub id `uri`: local, already stored, or fetched and stored.
    pub fn note<'a>(
        &'a self,
        uri: &'a str,
        depth: u8,
    ) -> futures_util::future::BoxFuture<'a, Result<NoteRow, ResolveError>> {
        Box::pin(self.note_inner(uri, depth))
    }

    async fn note_inner(&self, uri: &str, depth: u8) -> Result<NoteRow, ResolveError> {
        let mut conn = self.state.db.get().await.map_err(Error::from)?;
        if let Some(id) = uri.strip_prefix(&format!("{}/notes/", self.base)) {
            return crate::db::notes::load_one(&mut conn, id)
                .await
                .map_err(Error::from)?
                .ok_or_else(|| invalid("no such local note"));
        }
        if let Some(n) = crate::db::notes::by_uri(&mut conn, uri).await.map_err(Error::from)? {
            return Ok(n);
        }
        drop(conn);
        if depth == 0 {
            return Err(invalid("the reply chain is too deep"));
        }
        let host = host_of(uri).ok_or_else(|| invalid("not a URL"))?;
        let doc = self.fetch(uri).await?;
        if str_field(&doc, "id").and_then(|id| host_of(&id)).as_deref() != Some(host.as_str()) {
            return Err(invalid("the note's id is on another host"));
        }
        let author =
            doc.get("attributedTo").and_then(id_of).ok_or_else(|| invalid("a note without author"))?;
        let author = self.actor(&author, false).await?;
        super::inbox::store_note(self, &doc, &author, depth - 1).await
    }
}

pub use crate::domain::federation::Found;

impl Federation {
    /// The actor id of `username@host` (WebFinger).
    pub async fn webfinger(&self, username: &str, host: &str) -> Result<String, ResolveError> {
        let scheme = if self.state.config.federation.allow_insecure_peers { "http" } else { "https" };
        let url = format!(
            "{scheme}://{host}/.well-known/webfinger?resource=acct:{}@{host}",
            crate::mfm::to_html::encode_uri_component(username)
        );
        let jrd = self.client.get(&url, None).await?;
        let links =
            jrd.get("links").and_then(Value::as_array).ok_or_else(|| invalid("a JRD without links"))?;
        links
            .iter()
            .find(|l| {
                l.get("rel").and_then(Value::as_str) == Some("self")
                    && l.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.contains("activity+json") || t.contains("ld+json"))
            })
            .and_then(|l| str_field(l, "href"))
            .ok_or_else(|| invalid("no ActivityPub actor for this account"))
    }

    /// A remote user by `username@host`: known, or found through WebFinger.
    pub async fn user_by_acct(&self, username: &str, host: &str) -> Result<UserRow, ResolveError> {
        let uri = self.webfinger(username, host).await?;
        if host_of(&uri).is_none() {
            return Err(invalid("the actor id is not a URL"));
        }
        self.actor(&uri, false).await
    }

    /// `ap/show`: an actor or note by URL, or an account by `@user@host`.
    pub async fn show(&self, what: &str) -> Result<Found, ResolveError> {
        let what = what.trim();
        if !what.contains("://") {
            let acct = what.trim_start_matches("acct:").trim_start_matches('@');
            let (user, host) = acct.split_once('@').ok_or_else(|| invalid("neither a URL nor @user@host"))?;
            return Ok(Found::User(Box::new(self.user_by_acct(user, host).await?)));
        }
        let mut conn = self.state.db.get().await.map_err(Error::from)?;
        if let Some(id) = what.strip_prefix(&format!("{}/users/", self.base)) {
            let u = crate::db::users::load_one(&mut conn, id).await.map_err(Error::from)?;
            return u.map(|u| Found::User(Box::new(u))).ok_or_else(|| invalid("no such user"));
        }
        if self.is_local(what) {
            return Ok(Found::Note(Box::new(self.note(what, 1).await?)));
        }
        if let Some(u) = crate::domain::remote::by_uri(&mut conn, what).await? {
            return Ok(Found::User(Box::new(u)));
        }
        if let Some(n) = crate::db::notes::by_uri(&mut conn, what).await.map_err(Error::from)? {
            return Ok(Found::Note(Box::new(n)));
        }
        drop(conn);
        let host = host_of(what).ok_or_else(|| invalid("not a URL"))?;
        let doc = self.fetch(what).await?;
        let id = str_field(&doc, "id").ok_or_else(|| invalid("an object without id"))?;
        if host_of(&id).as_deref() != Some(host.as_str()) {
            return Err(invalid("the object's id is on another host"));
        }
        if parse_actor(&doc, &host).is_ok() {
            return Ok(Found::User(Box::new(self.actor(&id, true).await?)));
        }
        Ok(Found::Note(Box::new(self.note(&id, MAX_DEPTH).await?)))
    }
}

impl crate::domain::federation::Resolver for Federation {
    fn show<'a>(&'a self, what: &'a str) -> futures_util::future::BoxFuture<'a, Result<Found, String>> {
        Box::pin(async move { Federation::show(self, what).await.map_err(|e| e.to_string()) })
    }

    fn user_by_acct<'a>(
        &'a self,
        username: &'a str,
        host: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<UserRow, String>> {
        Box::pin(
            async move { Federation::user_by_acct(self, username, host).await.map_err(|e| e.to_string()) },
        )
    }

    fn get<'a>(&'a self, url: &'a str) -> futures_util::future::BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move { self.fetch(url.trim()).await.map_err(|e| e.to_string()) })
    }
}

/// How many items of a featured collection are looked at.
const FEATURED_ITEMS: usize = 20;

/// The items of a collection document (`orderedItems` or `items`, or those of its first page,
/// inline or fetched).
async fn collection_items(fed: &Federation, doc: &Value) -> Result<Vec<Value>, ResolveError> {
    let items =
        |d: &Value| d.get("orderedItems").or_else(|| d.get("items")).and_then(Value::as_array).cloned();
    if let Some(i) = items(doc) {
        return Ok(i);
    }
    match doc.get("first") {
        Some(first @ Value::Object(_)) => Ok(items(first).unwrap_or_default()),
        Some(Value::String(url)) if host_of(url) == id_of(doc).and_then(|id| host_of(&id)) => {
            Ok(items(&fed.fetch(url).await?).unwrap_or_default())
        }
        _ => Ok(Vec::new()),
    }
}

/// Reads a remote user's featured collection and makes its notes (their own, on their own
/// server) their pins. Answers how many are pinned.
pub async fn featured(fed: &Federation, user_id: &str) -> Result<usize, ResolveError> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = fed.state.db.get().await.map_err(Error::from)?;
    let row: Option<(Option<String>, Option<String>)> = users::table
        .find(user_id)
        .select((users::host, users::featured_uri))
        .first(&mut conn)
        .await
        .optional()
        .map_err(Error::from)?;
    drop(conn);
    let Some((Some(host), Some(uri))) = row else { return Ok(0) };
    let mut conn = fed.state.db.get().await.map_err(Error::from)?;
    let author = crate::db::users::load_one(&mut conn, user_id).await.map_err(Error::from)?;
    drop(conn);
    let Some(author) = author else { return Ok(0) };
    if host_of(&uri).as_deref() != Some(host.as_str()) {
        return Err(invalid("the featured collection is on another host"));
    }
    let doc = fed.fetch(&uri).await?;
    let mut pinned = Vec::new();
    for item in collection_items(fed, &doc).await?.iter().take(FEATURED_ITEMS) {
        if pinned.len() >= crate::domain::pins::REMOTE_PINS {
            break;
        }
        let Some(id) = id_of(item) else { continue };
        if host_of(&id).as_deref() != Some(host.as_str()) {
            continue;
        }
        // Each note is fetched from its own URL (never trusted inline), and stored only when it
        // is the user's: a collection cannot make this server meet anyone else.
        let mut conn = fed.state.db.get().await.map_err(Error::from)?;
        let known = crate::db::notes::by_uri(&mut conn, &id).await.map_err(Error::from)?;
        drop(conn);
        let note = match known {
            Some(n) => Ok(n),
            None => match fed.fetch(&id).await {
                Ok(doc)
                    if doc.get("attributedTo").and_then(id_of).as_deref()
                        == Some(author.uri.as_deref().unwrap_or_default()) =>
                {
                    super::inbox::store_note(fed, &doc, &author, 0).await
                }
                Ok(_) => Err(invalid("not the user's note")),
                Err(e) => Err(e),
            },
        };
        match note {
            Ok(n) if n.user_id == user_id => pinned.push(n.id),
            Ok(_) => {}
            Err(e) if e.transient() => return Err(e),
            Err(e) => tracing::debug!(note = id, error = %e, "featured note not taken"),
        }
    }
    let mut conn = fed.state.db.get().await.map_err(Error::from)?;
    crate::domain::pins::set_remote(&mut conn, user_id, &pinned).await?;
    Ok(pinned.len())
}
