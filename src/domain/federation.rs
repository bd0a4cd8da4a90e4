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
