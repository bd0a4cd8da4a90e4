//! Announcement (for its readers) and the moderators' view of one.

use super::iso;
use crate::domain::announcements::AnnouncementRow;
use serde_json::{json, Value};

/// An announcement as `me` sees it; `is_read` when they are signed in.
pub fn announcement(a: &AnnouncementRow, me: Option<&str>, is_read: Option<bool>) -> Value {
    let mut v = json!({
        "id": a.id,
        "createdAt": iso(a.created_at),
        "updatedAt": a.updated_at.map(iso),
        "text": a.text,
        "title": a.title,
        "imageUrl": a.image_url,
        "icon": a.icon,
        "display": a.display,
        "needConfirmationToRead": a.need_confirmation_to_read,
        "silence": a.silence,
        "forYou": me.is_some() && a.user_id.as_deref() == me,
    });
    if let Some(r) = is_read {
        v["isRead"] = json!(r);
    }
    v
}

/// An announcement in `admin/announcements/list`, with how many have read it.
pub fn admin(a: &AnnouncementRow, reads: i64) -> Value {
    json!({
        "id": a.id,
        "createdAt": iso(a.created_at),
        "updatedAt": a.updated_at.map(iso),
        "text": a.text,
        "title": a.title,
        "icon": a.icon,
        "display": a.display,
        "isActive": a.is_active,
        "forExistingUsers": a.for_existing_users,
        "silence": a.silence,
        "needConfirmationToRead": a.need_confirmation_to_read,
        "userId": a.user_id,
        "imageUrl": a.image_url,
        "reads": reads,
    })
}
