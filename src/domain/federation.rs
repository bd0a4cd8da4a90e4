//! What this instance shows of itself to other servers: the ids (URIs) of local actors and
//! notes, and which notes and follow lists may be served to an anonymous ActivityPub fetch.

use crate::db::notes::NoteRow;
use crate::db::users::UserRow;

/// The ActivityPub id of a user: its own URI when remote, `{base}/users/{id}` when local.
pub fn actor_uri(base: &str, user: &UserRow) -> String {
    match (&user.host, &user.uri) {
        (Some(_), Some(uri)) => uri.clone(),
        _ => format!("{base}/users/{}", user.id),
    }
}

/// The ActivityPub id of a note: its own URI when remote, `{base}/notes/{id}` when local.
pub fn note_uri(base: &str, note: &NoteRow) -> String {
    match (&note.user_host, &note.uri) {
        (Some(_), Some(uri)) => uri.clone(),
        _ => format!("{base}/notes/{}", note.id),
    }
}

/// Whether an anonymous fetch may see a local note: public or home, not local-only. Notes for
/// followers or for named users are only ever delivered to their audience's inboxes.
pub fn servable(note: &NoteRow) -> bool {
    note.user_host.is_none() && !note.local_only && matches!(note.visibility.as_str(), "public" | "home")
}

/// Whether an anonymous fetch may list a user's followers or follows (`public` lists only).
pub fn follow_list_servable(visibility: &str) -> bool {
    visibility == "public"
}

/// What a URL or `@user@host` names, made local.
pub enum Found {
    User(Box<UserRow>),
    Note(Box<NoteRow>),
}

/// Finding remote users and notes, for adapters other than ActivityPub (the client API's
/// `ap/show` and remote `users/show`); the ActivityPub adapter implements it. The error is the
/// reason, for the client.
pub trait Resolver: Send + Sync {
    /// An actor or note by URL, or an account by `@user@host`.
    fn show<'a>(&'a self, what: &'a str) -> futures_util::future::BoxFuture<'a, Result<Found, String>>;
    /// A remote account by `username@host` (WebFinger).
    fn user_by_acct<'a>(
        &'a self,
        username: &'a str,
        host: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<UserRow, String>>;
    /// The document at a remote URL as fetched (signed by the instance actor), stored nowhere.
    fn get<'a>(
        &'a self,
        url: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<serde_json::Value, String>>;
}

/// Which servers this one federates with: `[federation]` of the config, with the hosts an
/// administrator blocked or silenced (stored in the instance settings) added to its lists.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    pub mode: crate::config::FederationMode,
    pub allowed: HostSet,
    pub blocked: HostSet,
    pub silenced: HostSet,
}

/// Host names, each covering its subdomains: a host is looked up by each of its suffixes, so a
/// check costs the same with ten entries or ten thousand.
#[derive(Debug, Clone, Default)]
pub struct HostSet(std::collections::HashSet<String>);

impl HostSet {
    pub fn new<S: AsRef<str>>(hosts: impl IntoIterator<Item = S>) -> Self {
        HostSet(hosts.into_iter().map(|h| hostname(h.as_ref())).filter(|h| !h.is_empty()).collect())
    }

    /// Whether `host` (a host name, lower-case) is in the set or under one of its entries.
    pub fn covers(&self, host: &str) -> bool {
        if self.0.is_empty() || host.is_empty() {
            return false;
        }
        let mut rest = host;
        loop {
            if self.0.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => rest = parent,
                _ => return false,
            }
        }
    }

    /// This set and `more`.
    fn with<S: AsRef<str>>(&self, more: impl IntoIterator<Item = S>) -> Self {
        let mut all = self.clone();
        all.0.extend(HostSet::new(more).0);
        all
    }
}

/// The configuration's part of the policy (set once, when the server starts).
static BASE: std::sync::OnceLock<HostPolicy> = std::sync::OnceLock::new();

/// The running policy, as this process last read the stored lists: the policy, a digest of the
/// lists it was made from, and when they were last compared with the database.
struct Live {
    policy: std::sync::Arc<HostPolicy>,
    digest: String,
    checked: std::time::Instant,
}
static LIVE: std::sync::RwLock<Option<Live>> = std::sync::RwLock::new(None);
/// Bumped by each policy kept and when this process changes the lists: a read begun before
/// either is not kept (the first read to finish wins; the next comparison catches up).
static EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn live() -> std::sync::RwLockReadGuard<'static, Option<Live>> {
    LIVE.read().unwrap_or_else(|e| e.into_inner())
}

/// Sets the configuration's part of the policy (once, when the server starts).
pub fn install_policy(p: HostPolicy) {
    let _ = BASE.set(p);
}

/// The configuration's part of the policy.
pub fn configured() -> &'static HostPolicy {
    static NONE: std::sync::OnceLock<HostPolicy> = std::sync::OnceLock::new();
    BASE.get().unwrap_or_else(|| NONE.get_or_init(HostPolicy::default))
}

/// The policy as this process last read it: for the checks that cannot wait for a query (the
/// HTTP client's redirects, the inbox's first check, packing). [`keep_current`] keeps it
/// within seconds of the database; jobs read it with [`policy`].
pub fn current() -> std::sync::Arc<HostPolicy> {
    match &*live() {
        Some(l) => l.policy.clone(),
        None => std::sync::Arc::new(configured().clone()),
    }
}

/// The policy, compared with the stored lists when last compared more than a few seconds ago
/// (a digest first; the lists themselves only when they changed).
pub async fn policy(
    conn: &mut diesel_async::AsyncPgConnection,
) -> Result<std::sync::Arc<HostPolicy>, super::Error> {
    if let Some(l) = &*live() {
        if l.checked.elapsed() < super::settings::SETTINGS_TTL {
            return Ok(l.policy.clone());
        }
    }
    read(conn).await
}

/// Whether this server no longer federates with `authority`, for work already accepted (queued
/// activities and deliveries): a refusal by the policy in hand is checked against the stored
/// lists first, so that nothing is dropped for a block lifted seconds ago.
pub async fn refuses(
    conn: &mut diesel_async::AsyncPgConnection,
    authority: &str,
) -> Result<bool, super::Error> {
    Ok(!for_all(conn, &[authority.to_owned()]).await?.allows(authority))
}

/// The policy for work already accepted that goes to these servers: the policy in hand, or the
/// stored one when the one in hand refuses any of them.
pub async fn for_all(
    conn: &mut diesel_async::AsyncPgConnection,
    authorities: &[String],
) -> Result<std::sync::Arc<HostPolicy>, super::Error> {
    let p = policy(conn).await?;
    if authorities.iter().all(|a| p.allows(a)) {
        return Ok(p);
    }
    read(conn).await
}

/// Compares the stored lists with those of the running policy, and takes them when they differ.
async fn read(
    conn: &mut diesel_async::AsyncPgConnection,
) -> Result<std::sync::Arc<HostPolicy>, super::Error> {
    use std::sync::atomic::Ordering;
    let epoch = EPOCH.load(Ordering::SeqCst);
    let known = live().as_ref().map(|l| (l.digest.clone(), l.policy.clone()));
    let stored = crate::db::meta::host_lists_unless(conn, known.as_ref().map_or("", |k| &k.0)).await?;
    let policy = match (stored.blocked, stored.silenced, known) {
        (Some(blocked), Some(silenced), _) => {
            std::sync::Arc::new(configured().with_hosts(&blocked, &silenced))
        }
        (_, _, Some((digest, p))) if digest == stored.digest => p,
        // No settings row yet: the configuration's alone.
        _ => std::sync::Arc::new(configured().clone()),
    };
    let mut slot = LIVE.write().unwrap_or_else(|e| e.into_inner());
    if EPOCH.load(Ordering::SeqCst) == epoch {
        EPOCH.fetch_add(1, Ordering::SeqCst);
        *slot =
            Some(Live { policy: policy.clone(), digest: stored.digest, checked: std::time::Instant::now() });
    }
    Ok(policy)
}

/// Reads the policy now, after this process changed the stored lists (a read begun before the
/// change is not kept). On failure the change still arrives within seconds.
pub async fn reload(conn: &mut diesel_async::AsyncPgConnection) {
    EPOCH.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    if let Err(e) = read(conn).await {
        tracing::warn!(error = %e, "reading the federation policy after a change");
    }
}

/// Compares the stored lists every few seconds for as long as the process runs, so that a
/// block made through any web process reaches every web and worker process.
pub fn keep_current(db: std::sync::Arc<crate::db::DbPool>) {
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            let result = match db.get().await {
                Ok(mut conn) => read(&mut conn).await.map(|_| ()),
                Err(e) => Err(super::Error::internal(e)),
            };
            match result {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    // Said once the database has been unreachable for a while, not at every tick.
                    if failures == 5 {
                        tracing::warn!(error = %e, "the federation policy cannot be read; the last one read holds");
                    }
                }
            }
            tokio::time::sleep(super::settings::SETTINGS_TTL).await;
        }
    });
}

/// Whether users of `authority` are silenced.
pub fn silenced(authority: &str) -> bool {
    current().silences(authority)
}

/// The hosts an administrator gives (`blockedHosts`, `silencedHosts`): each a host name (a
/// domain in its ASCII form, an IPv4 address, or an IPv6 one in brackets), lower-case, without
/// a port, duplicates or blank lines. A host covers its subdomains.
pub fn host_list(param: &'static str, entries: &[String]) -> Result<Vec<String>, super::Error> {
    let mut out: Vec<String> = vec![];
    let mut seen = std::collections::HashSet::new();
    for e in entries {
        let e = e.trim();
        if e.is_empty() {
            continue;
        }
        let bad = || {
            super::Error::invalid(
                param,
                format!("{e:?} is not a host name (like example.com, or [2001:db8::1])"),
            )
        };
        let name = hostname(e);
        let host = match url::Host::parse(&name).map_err(|_| bad())? {
            url::Host::Domain(d) if dns_name(&d) => d,
            url::Host::Ipv4(ip) if ip.to_string() == name => name,
            // Written as URLs write it, which is how hosts are compared.
            ip @ url::Host::Ipv6(_) => ip.to_string(),
            _ => return Err(bad()),
        };
        if seen.insert(host.clone()) {
            out.push(host);
        }
    }
    Ok(out)
}

/// Whether a domain (ASCII, lower-case) is a name DNS could hold: labels of 1 to 63 letters,
/// digits, `-` or `_`, 253 characters in all.
fn dns_name(d: &str) -> bool {
    d.len() <= 253
        && d.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The host name of an authority (`host[:port]`), lower-case, without the root's dot.
pub fn hostname(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    let a = match a.rsplit_once(':') {
        // `host.:port` and `host.` name `host` (the root's dot).
        Some((h, p)) if p.bytes().all(|c| c.is_ascii_digit()) && !h.ends_with(']') => {
            format!("{}:{p}", h.trim_end_matches('.'))
        }
        _ => a.trim_end_matches('.').to_owned(),
    };
    if a.starts_with('[') {
        return a.split(']').next().map(|h| format!("{h}]")).unwrap_or(a);
    }
    match a.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => a,
    }
}

impl HostPolicy {
    pub fn from_config(c: &crate::config::FederationConfig) -> Self {
        HostPolicy {
            mode: c.mode,
            allowed: HostSet::new(&c.allowed_hosts),
            blocked: HostSet::new(&c.blocked_hosts),
            silenced: HostSet::new(&c.silenced_hosts),
        }
    }

    /// This policy with more blocked and silenced hosts.
    pub fn with_hosts(&self, blocked: &[String], silenced: &[String]) -> Self {
        HostPolicy {
            mode: self.mode,
            allowed: self.allowed.clone(),
            blocked: self.blocked.with(blocked),
            silenced: self.silenced.with(silenced),
        }
    }

    /// Whether users of `authority` are silenced.
    pub fn silences(&self, authority: &str) -> bool {
        self.silenced.covers(&hostname(authority))
    }

    /// Whether activities from and deliveries to `authority` (`host[:port]`) are allowed.
    pub fn allows(&self, authority: &str) -> bool {
        use crate::config::FederationMode;
        let host = hostname(authority);
        if host.is_empty() || self.blocked.covers(&host) {
            return false;
        }
        match self.mode {
            FederationMode::All => true,
            FederationMode::Specified => self.allowed.covers(&host),
            FederationMode::None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FederationMode;

    #[test]
    fn hosts_are_blocked_with_their_subdomains_and_ports() {
        let p = HostPolicy { blocked: HostSet::new(["Bad.example"]), ..Default::default() };
        assert!(!p.allows("bad.example"));
        assert!(!p.allows("a.b.bad.example:8443"));
        assert!(p.allows("notbad.example"));
        assert!(p.allows("good.example:3939"));
        assert!(!p.allows(""));
        let s = HostPolicy {
            mode: FederationMode::Specified,
            allowed: HostSet::new(["friend.example"]),
            ..Default::default()
        };
        assert!(s.allows("friend.example") && s.allows("m.friend.example") && !s.allows("other.example"));
        let n = HostPolicy { mode: FederationMode::None, ..Default::default() };
        assert!(!n.allows("friend.example"));
        assert_eq!(hostname("127.0.0.1:3939"), "127.0.0.1");
        assert_eq!(hostname("[::1]:3939"), "[::1]");
        assert_eq!(hostname("Bad.Example.:443"), "bad.example");
        assert!(!p.allows("bad.example.") && !p.allows("x.bad.example.:8443"));
    }

    #[test]
    fn administrators_hosts_join_the_configured_ones() {
        let base = HostPolicy { blocked: HostSet::new(["a.example"]), ..Default::default() };
        let p = base.with_hosts(&["b.example".into(), "a.example".into()], &["s.example".into()]);
        assert!(!p.allows("a.example") && !p.allows("x.b.example") && p.allows("example"));
        assert!(p.silences("s.example:443") && !p.silences("b.example"));
        assert!(!base.with_hosts(&[], &[]).silences("s.example"));
    }

    #[test]
    fn host_lists_are_host_names() {
        let l = host_list(
            "h",
            &[" Bad.Example ".into(), "".into(), "bad.example:8443".into(), "bücher.example".into()],
        );
        assert_eq!(l.unwrap(), ["bad.example", "xn--bcher-kva.example"]);
        let l = host_list(
            "h",
            &["example.com.".into(), "1.2.3.4".into(), "[::1]:80".into(), "example.com".into()],
        );
        assert_eq!(l.unwrap(), ["example.com", "1.2.3.4", "[::1]"]);
        // An address as a URL writes it, so that it matches the hosts of URLs.
        let mapped = host_list("h", &["[::FFFF:1.2.3.4]".into()]).unwrap();
        let p = HostPolicy { blocked: HostSet::new(&mapped), ..Default::default() };
        assert!(!p.allows(&authority_of("https://[::ffff:1.2.3.4]:8443/inbox").unwrap()), "{mapped:?}");
        assert_eq!(hostname("bad.example.."), "bad.example");
        let long = format!("{}.example", "a".repeat(64));
        for bad in [
            "https://x.example/",
            "a b",
            "x@y.example",
            "*.example",
            ".example.com",
            "a..b",
            "a,b.example",
            "x(y)",
            "1",
            &long,
        ] {
            assert!(host_list("h", &[bad.into()]).is_err(), "{bad}");
        }
    }
}

/// `host[:port]` of a URL.
pub fn authority_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// A local action other servers must hear of. Each carries an id given when it is enqueued,
/// from which the ids of its activities are made: a fan-out that runs twice sends the same
/// activities, and the deliveries it enqueues the second time are the ones already queued.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Action {
    /// A local note was posted: Create (or Announce for a pure renote) to its audience.
    NoteCreated {
        id: String,
        note_id: String,
    },
    /// A local note was deleted: Delete (or Undo of the Announce) to the audience it had.
    NoteDeleted {
        id: String,
        note_id: String,
        author: String,
        was_renote_of: Option<String>,
        audience: Vec<String>,
    },
    /// A local user follows (or asks to follow) a remote one.
    Follow {
        id: String,
        follower: String,
        followee: String,
    },
    /// A local user stops following (or withdraws the request to) a remote one.
    Unfollow {
        id: String,
        follower: String,
        followee: String,
    },
    /// A local user accepts a remote follower.
    Accept {
        id: String,
        followee: String,
        follower: String,
        request_uri: Option<String>,
    },
    /// A local user refuses (or removes) a remote follower.
    Reject {
        id: String,
        followee: String,
        follower: String,
        request_uri: Option<String>,
    },
    /// A local user reacts to a remote user's note.
    React {
        id: String,
        user: String,
        note_id: String,
        reaction: String,
    },
    /// … and takes the reaction back.
    Unreact {
        id: String,
        user: String,
        note_id: String,
        reaction: String,
        like_id: String,
    },
    /// A local user blocks a remote one.
    Block {
        id: String,
        blocker: String,
        blockee: String,
    },
    Unblock {
        id: String,
        blocker: String,
        blockee: String,
    },
    /// A local user's profile changed: Update(Person) to their followers.
    ProfileUpdated {
        id: String,
        user: String,
    },
    /// A local user voted in a remote user's poll: the vote (a Note naming the choice) to the
    /// poll's author.
    Vote {
        id: String,
        user: String,
        note_id: String,
        choice: i32,
    },
    /// Votes changed the counts of a local poll: Update(Question) to the audience of the note.
    /// Its id is the poll's, so votes in a burst become one update.
    PollUpdated {
        id: String,
        note_id: String,
    },
    /// A moderator forwards a report about a remote user to its server: a Flag from the
    /// instance actor.
    Flag {
        id: String,
        target: String,
        comment: String,
    },
    /// A local user pinned (or unpinned) a note others may see: Add (Remove) on their featured
    /// collection, to their followers.
    PinChanged {
        id: String,
        user: String,
        note_id: String,
        pinned: bool,
    },
    /// A local account was deleted: Delete of its actor to the remote accounts it followed or
    /// that followed it (their ids, taken before its follows go).
    AccountDeleted {
        id: String,
        user: String,
        audience: Vec<String>,
    },
}

impl Action {
    pub fn id(&self) -> &str {
        match self {
            Action::NoteCreated { id, .. }
            | Action::NoteDeleted { id, .. }
            | Action::Follow { id, .. }
            | Action::Unfollow { id, .. }
            | Action::Accept { id, .. }
            | Action::Reject { id, .. }
            | Action::React { id, .. }
            | Action::Unreact { id, .. }
            | Action::Block { id, .. }
            | Action::Unblock { id, .. }
            | Action::ProfileUpdated { id, .. }
            | Action::Vote { id, .. }
            | Action::PollUpdated { id, .. }
            | Action::Flag { id, .. }
            | Action::PinChanged { id, .. }
            | Action::AccountDeleted { id, .. } => id,
        }
    }
}

/// Enqueues `action` (in the caller's transaction, when it has one).
pub async fn federate(
    conn: &mut diesel_async::AsyncPgConnection,
    action: Action,
) -> Result<(), super::Error> {
    federate_at(conn, action, chrono::Utc::now()).await
}

async fn federate_at(
    conn: &mut diesel_async::AsyncPgConnection,
    action: Action,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), super::Error> {
    let job = super::jobs::Job::Federate { action };
    super::jobs::enqueue(conn, &[(job, at)]).await?;
    crate::db::jobs::wake();
    Ok(())
}

/// How long votes on a local poll are gathered before its new counts go out.
const POLL_UPDATE_GATHER: chrono::Duration = chrono::Duration::seconds(3);

/// `user` voted `choice` in the poll of `note`: a remote author hears of a local user's vote;
/// a local poll's new counts go to the servers of its audience, votes that come within a few
/// seconds of each other as one update.
pub async fn voted(
    conn: &mut diesel_async::AsyncPgConnection,
    user: &str,
    note: &NoteRow,
    choice: i32,
) -> Result<(), super::Error> {
    if note.user_host.is_some() {
        if !is_remote(conn, user).await? {
            let action =
                Action::Vote { id: crate::id::gen(), user: user.into(), note_id: note.id.clone(), choice };
            federate(conn, action).await?;
        }
    } else if !note.local_only && reaches_remote(conn, &note.user_id, &note.mentions).await? {
        let action = Action::PollUpdated { id: format!("pollUpdated-{}", note.id), note_id: note.id.clone() };
        federate_at(conn, action, chrono::Utc::now() + POLL_UPDATE_GATHER).await?;
    }
    Ok(())
}

/// A user's host (`None` for a local user).
pub async fn host_of(
    conn: &mut diesel_async::AsyncPgConnection,
    user: &str,
) -> Result<Option<String>, super::Error> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    Ok(users::table.find(user).select(users::host).first(conn).await?)
}

/// Whether a user is another server's.
pub async fn is_remote(conn: &mut diesel_async::AsyncPgConnection, user: &str) -> Result<bool, super::Error> {
    Ok(host_of(conn, user).await?.is_some())
}

/// Whether other servers must hear of a local note by `author` addressed to `users`: some of
/// the author's followers or some of those users are remote.
pub async fn reaches_remote(
    conn: &mut diesel_async::AsyncPgConnection,
    author: &str,
    users: &[String],
) -> Result<bool, super::Error> {
    #[derive(diesel::QueryableByName)]
    struct R {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        remote: bool,
    }
    use diesel_async::RunQueryDsl;
    let r: R = crate::db::cached(
        diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM following WHERE followee_id = $1 AND follower_host IS NOT NULL) \
               OR EXISTS (SELECT 1 FROM users WHERE id = ANY($2) AND host IS NOT NULL) AS remote",
        )
        .bind::<diesel::sql_types::Varchar, _>(author)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Varchar>, _>(users),
    )
    .get_result(conn)
    .await?;
    Ok(r.remote)
}

/// A local user's profile changed: their remote followers' servers hear of it.
pub async fn profile_updated(
    conn: &mut diesel_async::AsyncPgConnection,
    user: &str,
) -> Result<(), super::Error> {
    if reaches_remote(conn, user, &[]).await? {
        federate(conn, Action::ProfileUpdated { id: crate::id::gen(), user: user.to_string() }).await?;
    }
    Ok(())
}

/// After this many failed deliveries in a row a host rests (its deliveries wait).
pub const FAILURES_BEFORE_REST: i32 = 5;

/// How long `host` still rests, if it does.
pub async fn host_resting(
    conn: &mut diesel_async::AsyncPgConnection,
    host: &str,
) -> Result<Option<std::time::Duration>, super::Error> {
    use crate::db::schema::instances;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let until: Option<Option<chrono::DateTime<chrono::Utc>>> =
        instances::table.find(host).select(instances::retry_after).first(conn).await.optional()?;
    Ok(until.flatten().and_then(|t| (t - chrono::Utc::now()).to_std().ok()))
}

/// A delivery to `host` succeeded: its failures and rests are forgotten (written at most
/// hourly while it stays healthy).
pub async fn host_answered(
    conn: &mut diesel_async::AsyncPgConnection,
    host: &str,
) -> Result<(), super::Error> {
    use diesel_async::RunQueryDsl;
    crate::db::cached(
        diesel::sql_query(
            "INSERT INTO instances (host, last_success_at) VALUES ($1, now()) ON CONFLICT (host) DO UPDATE \
             SET last_success_at = now(), consecutive_failures = 0, rests = 0, retry_after = NULL \
             WHERE instances.consecutive_failures > 0 OR instances.last_success_at IS NULL \
               OR instances.last_success_at < now() - interval '1 hour'",
        )
        .bind::<diesel::sql_types::Varchar, _>(host),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A delivery to `host` failed. After [`FAILURES_BEFORE_REST`] failures in a row the host
/// rests: `rest` (normally a minute) the first time, twice as long each further time it fails
/// again after a rest, up to 6 hours; its waiting deliveries are moved past the rest. Failures
/// of deliveries that were under way when the rest began do not lengthen it.
pub async fn host_failed(
    conn: &mut diesel_async::AsyncPgConnection,
    host: &str,
    rest: std::time::Duration,
) -> Result<(), super::Error> {
    #[derive(diesel::QueryableByName)]
    struct Rest {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        retry_after: Option<chrono::DateTime<chrono::Utc>>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        began: bool,
    }
    use diesel_async::RunQueryDsl;
    let r: Rest = crate::db::cached(
        diesel::sql_query(
            "WITH prev AS (SELECT consecutive_failures, rests, retry_after FROM instances WHERE host = $1 FOR UPDATE), \
             up AS (INSERT INTO instances (host, last_failure_at, consecutive_failures) VALUES ($1, now(), 1) \
               ON CONFLICT (host) DO UPDATE SET last_failure_at = now(), \
                 consecutive_failures = instances.consecutive_failures + 1, \
                 rests = CASE WHEN instances.consecutive_failures + 1 >= $2 \
                   AND (instances.retry_after IS NULL OR instances.retry_after <= now()) \
                   THEN instances.rests + 1 ELSE instances.rests END, \
                 retry_after = CASE WHEN instances.consecutive_failures + 1 >= $2 \
                   AND (instances.retry_after IS NULL OR instances.retry_after <= now()) \
                   THEN now() + least(make_interval(secs => $3) * power(2, least(instances.rests, 20)), interval '6 hours') \
                   ELSE instances.retry_after END \
               RETURNING rests, retry_after) \
             SELECT up.retry_after, up.rests > coalesce((SELECT rests FROM prev), 0) AS began FROM up",
        )
        .bind::<diesel::sql_types::Varchar, _>(host)
        .bind::<diesel::sql_types::Integer, _>(FAILURES_BEFORE_REST)
        .bind::<diesel::sql_types::Double, _>(rest.as_secs_f64()),
    )
    .get_result(conn)
    .await?;
    if let (true, Some(until)) = (r.began, r.retry_after) {
        let moved = crate::db::jobs::postpone_lane(conn, host, until).await?;
        tracing::warn!(host, until = %until, deliveries = moved, "host keeps failing; its deliveries wait");
    }
    Ok(())
}

/// What a server says of itself (its NodeInfo and web app manifest).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceInfo {
    pub software_name: Option<String>,
    pub software_version: Option<String>,
    pub open_registrations: Option<bool>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub maintainer_name: Option<String>,
    pub maintainer_email: Option<String>,
    pub icon_url: Option<String>,
    pub theme_color: Option<String>,
}

/// How long what a server says of itself is shown before it is asked again.
const INFO_FRESH: &str = "24 hours";

/// `host` sent this server an activity: when it last did is noted (at most once a minute), and
/// what it says of itself is fetched again when it is a day old or was never fetched.
pub async fn host_heard(conn: &mut diesel_async::AsyncPgConnection, host: &str) -> Result<(), super::Error> {
    // Most activities come from hosts heard from a moment ago: those cost no query.
    static HEARD: std::sync::Mutex<Option<std::collections::HashMap<String, std::time::Instant>>> =
        std::sync::Mutex::new(None);
    {
        let mut heard = HEARD.lock().unwrap_or_else(|e| e.into_inner());
        let heard = heard.get_or_insert_with(Default::default);
        let minute = std::time::Duration::from_secs(60);
        if heard.get(host).is_some_and(|at| at.elapsed() < minute) {
            return Ok(());
        }
        if heard.len() >= 10_000 {
            heard.retain(|_, at| at.elapsed() < minute);
        }
        heard.insert(host.to_string(), std::time::Instant::now());
    }
    #[derive(diesel::QueryableByName)]
    struct Stale {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        stale: bool,
    }
    use diesel::OptionalExtension;
    use diesel_async::RunQueryDsl;
    let touched: Option<Stale> = crate::db::cached(
        diesel::sql_query(format!(
            "INSERT INTO instances (host, latest_request_received_at) VALUES ($1, now()) \
             ON CONFLICT (host) DO UPDATE SET latest_request_received_at = now() \
             WHERE instances.latest_request_received_at IS NULL \
               OR instances.latest_request_received_at < now() - interval '1 minute' \
             RETURNING (info_updated_at IS NULL OR info_updated_at < now() - interval '{INFO_FRESH}') AS stale"
        ))
        .bind::<diesel::sql_types::Varchar, _>(host),
    )
    .get_result(conn)
    .await
    .optional()?;
    if touched.is_some_and(|t| t.stale) {
        let job = super::jobs::Job::InstanceInfo { host: host.to_string() };
        super::jobs::enqueue(conn, &[(job, chrono::Utc::now())]).await?;
    }
    Ok(())
}

/// Stores what `host` says of itself (fields it did not give become empty), or with `None`
/// (it did not answer) keeps what it said before; either way it is asked again a day later.
pub async fn record_instance_info(
    conn: &mut diesel_async::AsyncPgConnection,
    host: &str,
    info: Option<&InstanceInfo>,
) -> Result<(), super::Error> {
    use crate::db::schema::instances as i;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let row = i::table.find(host);
    let Some(info) = info else {
        diesel::update(row).set(i::info_updated_at.eq(chrono::Utc::now())).execute(conn).await?;
        return Ok(());
    };
    // Columns are bounded; longer texts from a stranger are cut, not refused.
    let cut = |s: &Option<String>, max: usize| s.as_ref().map(|s| s.chars().take(max).collect::<String>());
    diesel::update(row)
        .set((
            i::software_name.eq(cut(&info.software_name.as_ref().map(|s| s.to_lowercase()), 64)),
            i::software_version.eq(cut(&info.software_version, 64)),
            i::open_registrations.eq(info.open_registrations),
            i::name.eq(cut(&info.name, 256)),
            i::description.eq(cut(&info.description, 4096)),
            i::maintainer_name.eq(cut(&info.maintainer_name, 256)),
            i::maintainer_email.eq(cut(&info.maintainer_email, 256)),
            // A URL cut short would point elsewhere: a long one is dropped.
            i::icon_url.eq(info.icon_url.clone().filter(|u| u.len() <= 512)),
            i::theme_color.eq(cut(&info.theme_color, 64)),
            i::info_updated_at.eq(chrono::Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Asks a known server again what it says of itself (soon, in the background). False when
/// this server has never met `host`.
pub async fn refresh_instance_info(
    conn: &mut diesel_async::AsyncPgConnection,
    host: &str,
) -> Result<bool, super::Error> {
    use crate::db::schema::instances as i;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let known: Option<String> = i::table.find(host).select(i::host).first(conn).await.optional()?;
    if known.is_some() {
        let job = super::jobs::Job::InstanceInfo { host: host.to_string() };
        super::jobs::enqueue(conn, &[(job, chrono::Utc::now())]).await?;
    }
    Ok(known.is_some())
}
