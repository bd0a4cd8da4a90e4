//! Role policies: what a user may do and how much. Until roles exist every user gets the
//! instance's base policies, whose defaults are Misskey's.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolePolicies {
    pub gtl_available: bool,
    pub ltl_available: bool,
    pub can_public_note: bool,
    pub mention_limit: u32,
    pub can_invite: bool,
    pub invite_limit: u32,
    /// Minutes.
    pub invite_limit_cycle: u32,
    /// Minutes; 0 means invitation codes do not expire.
    pub invite_expiration_time: u32,
    pub can_manage_custom_emojis: bool,
    pub can_manage_avatar_decorations: bool,
    pub can_search_notes: bool,
    pub can_search_users: bool,
    pub can_use_translator: bool,
    pub can_hide_ads: bool,
    pub can_create_channel: bool,
    pub drive_capacity_mb: u32,
    pub max_file_size_mb: u32,
    pub uploadable_file_types: Vec<String>,
    pub always_mark_nsfw: bool,
    pub can_update_bio_media: bool,
    pub pin_limit: u32,
    pub antenna_limit: u32,
    pub word_mute_limit: u32,
    pub webhook_limit: u32,
    pub clip_limit: u32,
    pub note_each_clips_limit: u32,
    pub user_list_limit: u32,
    pub user_each_user_lists_limit: u32,
    pub rate_limit_factor: f64,
    pub avatar_decoration_limit: u32,
    pub can_import_antennas: bool,
    pub can_import_blocking: bool,
    pub can_import_following: bool,
    pub can_import_muting: bool,
    pub can_import_user_lists: bool,
    /// "available", "readonly" or "unavailable".
    pub chat_availability: String,
    pub note_draft_limit: u32,
    pub scheduled_note_limit: u32,
    pub watermark_available: bool,
}

impl Default for RolePolicies {
    fn default() -> Self {
        RolePolicies {
            gtl_available: true,
            ltl_available: true,
            can_public_note: true,
            mention_limit: 20,
            can_invite: false,
            invite_limit: 0,
            invite_limit_cycle: 60 * 24 * 7,
            invite_expiration_time: 0,
            can_manage_custom_emojis: false,
            can_manage_avatar_decorations: false,
            can_search_notes: false,
            can_search_users: true,
            can_use_translator: true,
            can_hide_ads: false,
            can_create_channel: true,
            drive_capacity_mb: 100,
            max_file_size_mb: 30,
            uploadable_file_types: ["text/*", "application/json", "image/*", "video/*", "audio/*"]
                .map(String::from)
                .to_vec(),
            always_mark_nsfw: false,
            can_update_bio_media: true,
            pin_limit: 5,
            antenna_limit: 5,
            word_mute_limit: 200,
            webhook_limit: 3,
            clip_limit: 10,
            note_each_clips_limit: 200,
            user_list_limit: 10,
            user_each_user_lists_limit: 50,
            rate_limit_factor: 1.0,
            avatar_decoration_limit: 1,
            can_import_antennas: false,
            can_import_blocking: false,
            can_import_following: false,
            can_import_muting: false,
            can_import_user_lists: false,
            chat_availability: "available".into(),
            note_draft_limit: 10,
            scheduled_note_limit: 1,
            watermark_available: true,
        }
    }
}

impl RolePolicies {
    /// Misskey's defaults with the instance's overrides applied. Overrides name policies by their
    /// Misskey key; unknown keys or values of the wrong type are an error naming the key.
    pub fn with_overrides(overrides: &Value) -> Result<Self, String> {
        let mut base = serde_json::to_value(RolePolicies::default()).expect("serializable");
        let Some(map) = overrides.as_object() else {
            return Err("policies must be an object".into());
        };
        for (k, v) in map {
            let Some(slot) = base.get_mut(k) else {
                return Err(format!("unknown policy {k:?}"));
            };
            *slot = v.clone();
        }
        serde_json::from_value(base).map_err(|e| format!("invalid policy value: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_and_bad_keys_are_named() {
        let p = RolePolicies::with_overrides(&serde_json::json!({ "rateLimitFactor": 0, "pinLimit": 3 }))
            .unwrap();
        assert_eq!(p.rate_limit_factor, 0.0);
        assert_eq!(p.pin_limit, 3);
        assert!(p.ltl_available);
        assert!(RolePolicies::with_overrides(&serde_json::json!({ "nope": 1 }))
            .unwrap_err()
            .contains("nope"));
        assert!(RolePolicies::with_overrides(&serde_json::json!({ "pinLimit": "x" })).is_err());
    }
}
