//! How a note comes to exist and goes away. [`create`] is the one way a note is written, for a
//! local author (the client API) and a remote one (ActivityPub) alike: every rule of a note
//! (lengths, poll shape, the empty note, addressees, role policies, reply and renote
//! visibility and blocks, mentions, hashtags, emoji, search text, the notifications it causes)
//! is checked here, and the note is stored by the store's batch writer with its notifications
//! in one transaction.

use super::events;
use super::policies::RolePolicies;
use super::visibility;
use super::{Error, Refusal};
use crate::db::notes::{NewNoteRow, NoteRow, SearchText};
use crate::db::schema::{notes, users};
use crate::db::writer::{Insert, NewPoll, WriteError};
use crate::db::DbPool;
use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::Varchar;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

pub use crate::db::writer::{Stored, Writer};

pub const VISIBILITIES: [&str; 4] = ["public", "home", "followers", "specified"];
pub const REACTION_ACCEPTANCES: [&str; 4] =
    ["likeOnly", "likeOnlyForRemote", "nonSensitiveOnly", "nonSensitiveOnlyForLocalLikeOnlyForRemote"];

/// Most characters of a local note's text (Misskey's `maxNoteTextLength`).
pub const MAX_TEXT: usize = 3000;
/// Most characters of a local note's content warning.
pub const MAX_CW: usize = 100;
/// A remote note's text is cut to this many characters, its content warning to [`MAX_REMOTE_CW`]
/// (the column's size): other servers have other limits, and their notes are kept, not refused.
pub const MAX_REMOTE_TEXT: usize = 100_000;
pub const MAX_REMOTE_CW: usize = 512;
/// Most mentions, hashtags and emoji kept of one note.
const MAX_EXTRACTED: usize = 100;

/// A renote without text, content warning, files or poll ("pure renote"), as opposed to a
/// quote. The same rule as [`pure_renote_sql`].
pub fn is_pure_renote(n: &NoteRow) -> bool {
    n.renote_id.is_some() && n.text.is_none() && n.cw.is_none() && n.file_ids.is_empty() && !n.has_poll
}

/// [`is_pure_renote`] as SQL over note alias `a`.
pub fn pure_renote_sql(a: &str) -> String {
    format!(
        "({a}.renote_id IS NOT NULL AND {a}.text IS NULL AND {a}.cw IS NULL AND {a}.file_ids = '{{}}' AND NOT {a}.has_poll)"
    )
}

/// Where a note comes from.
pub enum Origin<'a> {
    /// Written on this instance by a local user, under their role policies.
    Local { policies: &'a RolePolicies },
    /// Received from another server: its ActivityPub id, its page, the author's host and when
    /// it says the note was published.
    Remote { uri: String, url: Option<String>, host: String, published: Option<DateTime<Utc>> },
}

/// When a poll closes, as a client asks for it.
#[derive(Clone, Copy, Debug)]
pub enum PollEnd {
    Never,
    /// Milliseconds since the epoch.
    At(i64),
    /// Milliseconds from now.
    After(i64),
}

pub struct DraftPoll {
    pub choices: Vec<String>,
    pub multiple: bool,
    pub ends: PollEnd,
}

/// A note as its author asks for it, before any rule is applied.
#[derive(Default)]
pub struct Draft {
    pub text: Option<String>,
    pub cw: Option<String>,
    /// One of [`VISIBILITIES`]; public when none.
    pub visibility: Option<String>,
    pub visible_user_ids: Vec<String>,
    pub local_only: bool,
    pub reply_id: Option<String>,
    pub renote_id: Option<String>,
    pub poll: Option<DraftPoll>,
    pub reaction_acceptance: Option<String>,
    pub file_ids: Vec<String>,
    pub channel_id: Option<String>,
    /// Users a remote note mentions, resolved by the caller (local notes find theirs in the text).
    pub mentions: Vec<String>,
}

/// Keeps the first of each value, in order.
fn unique(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

fn truncate(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => s[..at].to_string(),
        None => s,
    }
}

/// The shape rules of a draft, before anything is read: lengths, known values, the poll, the
/// empty note, addressees. Answers the visibility asked for.
fn check_shape(
    origin: &Origin,
    d: &mut Draft,
    now: DateTime<Utc>,
) -> Result<(String, Option<NewPoll>), Error> {
    let local = matches!(origin, Origin::Local { .. });
    let visibility = d.visibility.take().unwrap_or_else(|| "public".into());
    if !VISIBILITIES.contains(&visibility.as_str()) {
        return Err(Error::invalid("visibility", "must be public, home, followers or specified"));
    }
    if let Some(ra) = &d.reaction_acceptance {
        if !REACTION_ACCEPTANCES.contains(&ra.as_str()) {
            return Err(Error::invalid("reactionAcceptance", "unknown value"));
        }
    }
    for (param, value) in [("text", &d.text), ("cw", &d.cw)] {
        if value.as_deref().is_some_and(|v| v.contains('\0')) {
            return Err(Error::invalid(param, "must not contain NUL characters"));
        }
    }
    if local {
        if let Some(t) = &d.text {
            let n = t.chars().count();
            if n == 0 || n > MAX_TEXT {
                return Err(Error::invalid("text", format!("must be 1 to {MAX_TEXT} characters")));
            }
        }
        if let Some(cw) = &d.cw {
            if cw.is_empty() || cw.chars().count() > MAX_CW {
                return Err(Error::invalid("cw", format!("must be 1 to {MAX_CW} characters")));
            }
        }
    } else {
        d.text = d.text.take().map(|t| truncate(t, MAX_REMOTE_TEXT)).filter(|t| !t.is_empty());
        d.cw = d.cw.take().map(|c| truncate(c, MAX_REMOTE_CW)).filter(|c| !c.is_empty());
        d.local_only = false;
        // Other servers repeat addressees; they are kept once, not refused.
        unique(&mut d.visible_user_ids);
    }
    if d.channel_id.is_some() {
        return Err(Refusal::NoSuchChannel.into());
    }
    if d.file_ids.len() > super::drive::MAX_NOTE_FILES {
        return Err(Error::invalid("fileIds", format!("at most {} files", super::drive::MAX_NOTE_FILES)));
    }
    let mut seen = std::collections::HashSet::new();
    if !d.file_ids.iter().all(|f| seen.insert(f)) {
        return Err(Error::invalid("fileIds", "ids must be unique"));
    }
    let poll = match d.poll.take() {
        None => None,
        Some(p) => Some(check_poll(local, p, now)?),
    };
    if d.renote_id.is_none()
        && poll.is_none()
        && d.file_ids.is_empty()
        && d.text.as_deref().is_none_or(|t| t.trim().is_empty())
    {
        return Err(Error::invalid("text", "a note needs text, a renote, files or a poll"));
    }
    let mut seen = std::collections::HashSet::new();
    if !d.visible_user_ids.iter().all(|u| seen.insert(u)) {
        return Err(Error::invalid("visibleUserIds", "ids must be unique"));
    }
    Ok((visibility, poll))
}

fn check_poll(local: bool, p: DraftPoll, now: DateTime<Utc>) -> Result<NewPoll, Error> {
    if local {
        if !(2..=10).contains(&p.choices.len()) {
            return Err(Error::invalid("poll.choices", "2 to 10 choices"));
        }
        if p.choices.iter().any(|c| c.is_empty() || c.chars().count() > 50) {
            return Err(Error::invalid("poll.choices", "each choice is 1 to 50 characters"));
        }
        let mut seen = std::collections::HashSet::new();
        if !p.choices.iter().all(|c| seen.insert(c)) {
            return Err(Error::invalid("poll.choices", "choices must be unique"));
        }
    } else if p.choices.is_empty() || p.choices.len() > 100 {
        return Err(Error::invalid("poll.choices", "1 to 100 choices"));
    }
    if p.choices.iter().any(|c| c.contains('\0')) {
        return Err(Error::invalid("poll.choices", "must not contain NUL characters"));
    }
    let expires_at = match p.ends {
        PollEnd::Never => None,
        PollEnd::At(ms) => Some(
            Utc.timestamp_millis_opt(ms)
                .single()
                .ok_or_else(|| Error::invalid("poll.expiresAt", "not a time"))?,
        ),
        PollEnd::After(ms) if ms >= 1 => Some(
            chrono::TimeDelta::try_milliseconds(ms)
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| Error::invalid("poll.expiredAfter", "too far in the future"))?,
        ),
        PollEnd::After(_) => return Err(Error::invalid("poll.expiredAfter", "must be at least 1")),
    };
    // A remote poll may arrive closed; a local one must still be open.
    if local && expires_at.is_some_and(|t| t <= now) {
        return Err(Refusal::PollAlreadyExpired.into());
    }
    let choices = if local { p.choices } else { p.choices.into_iter().map(|c| truncate(c, 256)).collect() };
    Ok(NewPoll { choices, multiple: p.multiple, expires_at })
}

/// Local users mentioned in the text (`@name` or `@name@this.host`), by id, at most once each.
async fn mentioned(
    conn: &mut AsyncPgConnection,
    local_host: &str,
    nodes: &[crate::mfm::Node],
) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = crate::mfm::extract::extract_mentions(nodes)
        .into_iter()
        .filter(|m| m.host.as_deref().is_none_or(|h| h.eq_ignore_ascii_case(local_host)))
        .map(|m| m.username.to_lowercase())
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(vec![]);
    }
    Ok(users::table
        .filter(users::username_lower.eq_any(&names).and(users::host.is_null()))
        .filter(users::is_suspended.eq(false))
        .select(users::id)
        .load(conn)
        .await?)
}

impl From<WriteError> for Error {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::ReplyTargetGone => Refusal::NoSuchReplyTarget.into(),
            WriteError::RenoteTargetGone => Refusal::NoSuchRenoteTarget.into(),
            WriteError::Unavailable(what) => Error::Unavailable(what),
            WriteError::Failed(cause) => Error::Internal(cause),
        }
    }
}

/// Creates a note by `author` from `origin`. Every rule is checked before anything is written;
/// the note is stored by the [`Writer`] together with the notes created at the same time and
/// the notifications it causes, so an error means nothing was stored. The checks use a pool
/// connection that is given back before the writer is waited for, so callers waiting on a
/// busy writer hold no connection that reads need.
pub async fn create(
    db: &DbPool,
    writer: &Writer,
    local_host: &str,
    origin: Origin<'_>,
    author: &str,
    mut d: Draft,
) -> Result<Stored, Error> {
    let now = Utc::now();
    let (mut visibility, poll) = check_shape(&origin, &mut d, now)?;
    let mut pooled = db.get().await?;
    let conn = &mut *pooled;
    match &origin {
        Origin::Local { policies } if visibility == "public" && !policies.can_public_note => {
            visibility = "home".into();
        }
        // A silenced server's public notes stay out of the public timelines.
        Origin::Remote { host, .. } if visibility == "public" && super::federation::silenced(host) => {
            visibility = "home".into();
        }
        _ => {}
    }
    let choices = poll.as_ref().map_or(&[][..], |p| &p.choices[..]);
    // (A channel's notes stay in their channel: sensitive words leave them as they are.)
    let seen_as = if d.channel_id.is_some() { "" } else { visibility.as_str() };
    if let Some(v) =
        super::words::check_note(conn, d.cw.as_deref(), d.text.as_deref(), choices, seen_as).await?
    {
        visibility = v.into();
    }
    let renote = match &d.renote_id {
        None => None,
        Some(id) => {
            Some(visibility::visible_note(conn, Some(author), id).await?.ok_or(Refusal::NoSuchRenoteTarget)?)
        }
    };
    let reply = match &d.reply_id {
        None => None,
        Some(id) => {
            Some(visibility::visible_note(conn, Some(author), id).await?.ok_or(Refusal::NoSuchReplyTarget)?)
        }
    };
    // Files are the author's own (a remote note's were recorded for its author).
    super::drive::check_note_files(conn, author, &d.file_ids).await?;
    let is_quote = d.text.is_some() || d.cw.is_some() || poll.is_some() || !d.file_ids.is_empty();
    if let Some(r) = &renote {
        if is_pure_renote(r) && !is_quote {
            return Err(Refusal::CannotRenoteToPureRenote.into());
        }
        match r.visibility.as_str() {
            "home" if visibility == "public" => visibility = "home".into(),
            "followers" if r.user_id != author => return Err(Refusal::CannotRenoteDueToVisibility.into()),
            "followers" => visibility = "followers".into(),
            "specified" => return Err(Refusal::CannotRenoteDueToVisibility.into()),
            _ => {}
        }
        if r.user_id != author && visibility::blocks(conn, &r.user_id, author).await? {
            return Err(Refusal::BlockedByTargetAuthor.into());
        }
        if r.local_only {
            d.local_only = true;
        }
    }
    if let Some(r) = &reply {
        if is_pure_renote(r) {
            return Err(Refusal::CannotReplyToPureRenote.into());
        }
        if r.visibility == "specified" && visibility != "specified" {
            return Err(Refusal::CannotReplyToSpecifiedWithExtendedVisibility.into());
        }
        if r.user_id != author && visibility::blocks(conn, &r.user_id, author).await? {
            return Err(Refusal::BlockedByTargetAuthor.into());
        }
        if r.visibility != "public" && visibility == "public" {
            visibility = "home".into();
        }
        if r.local_only {
            d.local_only = true;
        }
    }

    // Mentions, hashtags and emoji, as the MFM engine finds them in text and cw. A remote
    // note's mentions come resolved from its tags.
    let mut nodes = d.text.as_deref().map(crate::mfm::parse).unwrap_or_default();
    nodes.extend(d.cw.as_deref().map(crate::mfm::parse_simple).unwrap_or_default());
    let mut mentions = match &origin {
        Origin::Local { .. } => mentioned(conn, local_host, &nodes).await?,
        Origin::Remote { .. } => {
            let mut m = std::mem::take(&mut d.mentions);
            unique(&mut m);
            m
        }
    };
    if let Some(r) = &reply {
        if r.user_id != author && !mentions.contains(&r.user_id) {
            mentions.push(r.user_id.clone());
        }
    }
    if let Origin::Local { policies } = &origin {
        if mentions.len() > policies.mention_limit as usize {
            return Err(Refusal::TooManyMentions.into());
        }
    }
    mentions.truncate(MAX_EXTRACTED);
    let mut tags = crate::mfm::extract::extract_hashtags(&nodes);
    tags.truncate(MAX_EXTRACTED);
    let mut emojis = crate::mfm::extract::extract_emojis(&nodes);
    emojis.truncate(MAX_EXTRACTED);
    if visibility == "specified" {
        for m in mentions.iter().chain(reply.as_ref().map(|r| &r.user_id)) {
            if m != author && !d.visible_user_ids.contains(m) {
                d.visible_user_ids.push(m.clone());
            }
        }
        if !d.visible_user_ids.is_empty() {
            let found: i64 =
                users::table.filter(users::id.eq_any(&d.visible_user_ids)).count().get_result(conn).await?;
            if found != d.visible_user_ids.len() as i64 {
                return Err(Error::invalid("visibleUserIds", "contains a user that does not exist"));
            }
        }
    } else {
        d.visible_user_ids.clear();
    }

    // Notifications: a reply, renote or quote notice wins over a mention of the same user.
    let pure_renote = renote.is_some() && !is_quote;
    let mut notify: Vec<(String, &'static str)> = mentions.iter().map(|m| (m.clone(), "mention")).collect();
    let mut tell = |who: &str, kind: &'static str| match notify.iter_mut().find(|(u, _)| u == who) {
        Some(slot) => slot.1 = kind,
        None => notify.push((who.to_string(), kind)),
    };
    if let Some(r) = &reply {
        tell(&r.user_id, "reply");
    }
    if let Some(r) = &renote {
        tell(&r.user_id, if pure_renote { "renote" } else { "quote" });
    }

    // A remote note is placed at the time it was published (timelines order by id), never in
    // the future.
    let (user_host, uri, url, created_at) = match origin {
        Origin::Local { .. } => (None, None, None, now),
        Origin::Remote { uri, url, host, published } => {
            let at = published.filter(|p| p.timestamp_millis() > 0).map_or(now, |p| p.min(now));
            (Some(host), Some(uri), url, at)
        }
    };
    let row = NewNoteRow {
        id: crate::id::gen_at(created_at.timestamp_millis()),
        created_at,
        user_id: author.to_string(),
        user_host,
        reply_id: d.reply_id,
        renote_id: d.renote_id,
        reply_user_id: reply.as_ref().map(|r| r.user_id.clone()),
        renote_user_id: renote.as_ref().map(|r| r.user_id.clone()),
        thread_id: reply.as_ref().map(|r| r.thread_id.clone().unwrap_or_else(|| r.id.clone())),
        search: SearchText(super::search::document(d.text.as_deref(), d.cw.as_deref())),
        text: d.text,
        cw: d.cw,
        visibility,
        local_only: d.local_only,
        visible_user_ids: d.visible_user_ids,
        mentions,
        tags,
        emojis,
        file_ids: d.file_ids,
        has_poll: poll.is_some(),
        reaction_acceptance: d.reaction_acceptance,
        uri,
        url,
    };
    let notify_watchers = reply.is_none() && row.visibility != "specified";
    let mut jobs: Vec<_> = poll
        .as_ref()
        .and_then(|p| p.expires_at)
        .map(|at| super::jobs::Job::PollEnd { note_id: row.id.clone() }.row(at))
        .into_iter()
        .collect();
    // A local note goes to the other servers of its audience, enqueued with the note itself.
    if row.user_host.is_none() && !row.local_only {
        let mut addressed: Vec<String> = row.mentions.clone();
        addressed.extend(row.visible_user_ids.iter().cloned());
        addressed.extend(row.reply_user_id.iter().chain(row.renote_user_id.iter()).cloned());
        if super::federation::reaches_remote(conn, author, &addressed).await? {
            let action =
                super::federation::Action::NoteCreated { id: crate::id::gen(), note_id: row.id.clone() };
            jobs.push(super::jobs::Job::Federate { action }.row(now));
        }
    }
    drop(pooled);
    let stored = writer.write(Insert { row, poll, notify, notify_watchers, jobs }).await?;
    crate::db::jobs::wake();
    events::emit(events::Event::Note { id: stored.note.id.clone(), reach: events::Reach::of(&stored.note) });
    events::notified(&stored.notified);
    Ok(stored)
}

/// Deletes a note (and, by cascade, its renotes and replies), keeping the counters right.
pub async fn delete(conn: &mut AsyncPgConnection, note: &NoteRow) -> Result<(), Error> {
    conn.transaction::<_, Error, _>(async |conn| {
        // Every note that goes with it (replies and renotes, recursively) lowers its author's count.
        diesel::sql_query(
            "WITH RECURSIVE doomed AS ( \
               SELECT id, user_id FROM notes WHERE id = $1 \
               UNION SELECT n.id, n.user_id FROM notes n JOIN doomed d ON n.reply_id = d.id OR n.renote_id = d.id) \
             UPDATE users u SET notes_count = greatest(u.notes_count - c.n, 0) \
             FROM (SELECT user_id, count(*) AS n FROM doomed GROUP BY user_id) c WHERE u.id = c.user_id",
        )
        .bind::<Varchar, _>(&note.id)
        .execute(conn)
        .await?;
        if let Some(r) = &note.reply_id {
            diesel::update(notes::table.find(r))
                .set(notes::replies_count.eq(diesel::dsl::sql::<diesel::sql_types::Integer>("greatest(replies_count - 1, 0)")))
                .execute(conn)
                .await?;
        }
        if let (Some(r), Some(ru)) = (&note.renote_id, &note.renote_user_id) {
            if *ru != note.user_id {
                diesel::update(notes::table.find(r))
                    .set(notes::renote_count.eq(diesel::dsl::sql::<diesel::sql_types::Integer>("greatest(renote_count - 1, 0)")))
                    .execute(conn)
                    .await?;
            }
        }
        diesel::delete(notes::table.find(&note.id)).execute(conn).await?;
        // Other servers that had the note hear that it is gone.
        if note.user_host.is_none() && !note.local_only {
            let mut audience = note.mentions.clone();
            audience.extend(note.visible_user_ids.iter().cloned());
            if super::federation::reaches_remote(conn, &note.user_id, &audience).await? {
                let was_renote_of = note.renote_id.clone().filter(|_| is_pure_renote(note));
                let action = super::federation::Action::NoteDeleted {
                    id: crate::id::gen(),
                    note_id: note.id.clone(),
                    author: note.user_id.clone(),
                    was_renote_of,
                    audience,
                };
                super::federation::federate(conn, action).await?;
            }
        }
        Ok(())
    })
    .await?;
    let deleted_at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    events::emit(events::Event::NoteUpdated {
        id: note.id.clone(),
        change: events::NoteChange::Deleted { deleted_at },
    });
    Ok(())
}

/// A remote author edited their note (Update): its text, content warning and hashtags change,
/// and a poll's counts when the update carries them. (Upstream Misskey ignores note edits.)
pub async fn edit_remote(
    conn: &mut AsyncPgConnection,
    note: &NoteRow,
    text: Option<String>,
    cw: Option<String>,
    votes: Option<Vec<i32>>,
) -> Result<(), Error> {
    let text = text.map(|t| truncate(t, MAX_REMOTE_TEXT)).filter(|t| !t.is_empty());
    let cw = cw.map(|c| truncate(c, MAX_REMOTE_CW)).filter(|c| !c.is_empty());
    if text.as_deref().is_some_and(|t| t.contains('\0')) || cw.as_deref().is_some_and(|c| c.contains('\0')) {
        return Err(Error::invalid("text", "must not contain NUL characters"));
    }
    // An edit may not bring in what the note could not have said. (A sensitive word does not
    // change the visibility of a note already delivered.)
    super::words::check_note(conn, cw.as_deref(), text.as_deref(), &[], "").await?;
    let mut nodes = text.as_deref().map(crate::mfm::parse).unwrap_or_default();
    nodes.extend(cw.as_deref().map(crate::mfm::parse_simple).unwrap_or_default());
    let mut tags = crate::mfm::extract::extract_hashtags(&nodes);
    tags.truncate(MAX_EXTRACTED);
    let search = super::search::document(text.as_deref(), cw.as_deref());
    conn.transaction::<_, Error, _>(async |conn| {
        diesel::sql_query(
            "UPDATE notes SET text = $2, cw = $3, tags = $4, updated_at = now(), \
             search = CASE WHEN $5 = '' THEN NULL ELSE to_tsvector('simple', $5) END WHERE id = $1",
        )
        .bind::<Varchar, _>(&note.id)
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(&text)
        .bind::<diesel::sql_types::Nullable<Varchar>, _>(&cw)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&tags)
        .bind::<diesel::sql_types::Text, _>(&search)
        .execute(conn)
        .await?;
        if let Some(v) = votes.filter(|_| note.has_poll) {
            diesel::sql_query(
                "UPDATE polls SET votes = $2 WHERE note_id = $1 AND cardinality(choices) = cardinality($2)",
            )
            .bind::<Varchar, _>(&note.id)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Integer>, _>(&v)
            .execute(conn)
            .await?;
        }
        Ok(())
    })
    .await
}
