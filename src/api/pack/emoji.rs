//! EmojiSimple and EmojiDetailed, as misskey-js defines them.

use crate::domain::emoji::EmojiRow;
use serde_json::{json, Value};

pub fn simple(e: &EmojiRow) -> Value {
    json!({
        "aliases": e.aliases,
        "name": e.name,
        "category": e.category,
        "url": e.url(),
        "localOnly": e.local_only,
        "isSensitive": e.is_sensitive,
        "roleIdsThatCanBeUsedThisEmojiAsReaction": e.role_ids_that_can_be_used_this_emoji_as_reaction,
    })
}

pub fn detailed(e: &EmojiRow) -> Value {
    json!({
        "id": e.id,
        "aliases": e.aliases,
        "name": e.name,
        "category": e.category,
        "host": e.host,
        "url": e.url(),
        "license": e.license,
        "isSensitive": e.is_sensitive,
        "localOnly": e.local_only,
        "roleIdsThatCanBeUsedThisEmojiAsReaction": e.role_ids_that_can_be_used_this_emoji_as_reaction,
    })
}

/// An emoji that is gone, as `emojiDeleted` names it: an EmojiDetailed of its id and name.
pub fn deleted(id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "aliases": [],
        "name": name,
        "category": null,
        "host": null,
        "url": "",
        "license": null,
        "isSensitive": false,
        "localOnly": false,
        "roleIdsThatCanBeUsedThisEmojiAsReaction": [],
    })
}
