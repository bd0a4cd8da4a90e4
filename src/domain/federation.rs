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

/// Which servers this one federates with (from `[federation]` of the config).
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    pub mode: crate::config::FederationMode,
    pub allowed: Vec<String>,
    pub blocked: Vec<String>,
}

/// The host name of an authority (`host[:port]`), lower-case.
pub fn hostname(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    if a.starts_with('[') {
        return a.split(']').next().map(|h| format!("{h}]")).unwrap_or(a);
    }
    match a.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => a,
    }
}

/// Whether `host` is `pattern` or one of its subdomains.
fn under(host: &str, pattern: &str) -> bool {
    let p = hostname(pattern);
    !p.is_empty() && (host == p || host.ends_with(&format!(".{p}")))
}

impl HostPolicy {
    pub fn from_config(c: &crate::config::FederationConfig) -> Self {
        HostPolicy { mode: c.mode, allowed: c.allowed_hosts.clone(), blocked: c.blocked_hosts.clone() }
    }

    /// Whether activities from and deliveries to `authority` (`host[:port]`) are allowed.
    pub fn allows(&self, authority: &str) -> bool {
        use crate::config::FederationMode;
        let host = hostname(authority);
        if host.is_empty() || self.blocked.iter().any(|b| under(&host, b)) {
            return false;
        }
        match self.mode {
            FederationMode::All => true,
            FederationMode::Specified => self.allowed.iter().any(|a| under(&host, a)),
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
        let p = HostPolicy { mode: FederationMode::All, allowed: vec![], blocked: vec!["Bad.example".into()] };
        assert!(!p.allows("bad.example"));
        assert!(!p.allows("a.b.bad.example:8443"));
        assert!(p.allows("notbad.example"));
        assert!(p.allows("good.example:3939"));
        assert!(!p.allows(""));
        let s = HostPolicy { mode: FederationMode::Specified, allowed: vec!["friend.example".into()], blocked: vec![] };
        assert!(s.allows("friend.example") && s.allows("m.friend.example") && !s.allows("other.example"));
        let n = HostPolicy { mode: FederationMode::None, ..Default::default() };
        assert!(!n.allows("friend.example"));
        assert_eq!(hostname("127.0.0.1:3939"), "127.0.0.1");
        assert_eq!(hostname("[::1]:3939"), "[::1]");
    }
}
