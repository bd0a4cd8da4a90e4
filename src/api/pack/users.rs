//! UserLite, UserDetailedNotMe and MeDetailed, as misskey-js's types define them. Relations are
//! loaded per batch, never per user.

use super::iso;
use crate::api::ApiError;
use crate::db::schema::{blockings, follow_requests, following, mutings, renote_mutings, user_profiles};
use crate::domain::policies::RolePolicies;
use crate::domain::roles::{self, Held};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{ser::SerializeMap, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

pub use crate::db::users::{lite_columns, load, load_one, LiteUser, ProfileRow, UserRow};

fn avatar_url(base: &str, u: &LiteUser) -> String {
    match &u.avatar_url {
        Some(a) => a.clone(),
        None => {
            let host = u.host.as_deref().unwrap_or_else(|| base.split("://").nth(1).unwrap_or(base));
            format!("{base}/identicon/{}@{}", u.username.to_lowercase(), host)
        }
    }
}

fn online_status(u: &LiteUser) -> &'static str {
    if u.hide_online_status {
        return "unknown";
    }
    match u.last_active_date {
        None => "unknown",
        Some(t) => {
            let ago = Utc::now() - t;
            if ago < chrono::Duration::minutes(10) {
                "online"
            } else if ago < chrono::Duration::days(3) {
                "active"
            } else {
                "offline"
            }
        }
    }
}

/// `{}` in JSON.
pub struct EmptyMap;

impl Serialize for EmptyMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

/// `[]` in JSON.
pub type EmptyList = [(); 0];

/// UserLite, written straight from a [`LiteUser`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserLite<'a> {
    id: &'a str,
    name: Option<&'a str>,
    username: &'a str,
    host: Option<&'a str>,
    avatar_url: String,
    avatar_blurhash: (),
    avatar_decorations: EmptyList,
    is_bot: bool,
    is_cat: bool,
    emojis: EmptyMap,
    online_status: &'static str,
    badge_roles: Vec<Badge>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<Instance>,
}

/// A role a user shows as a badge.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Badge {
    name: String,
    icon_url: Option<String>,
    display_order: i32,
}

fn badges(u: &LiteUser) -> Vec<Badge> {
    let Some(roles) = crate::domain::roles::current() else { return Vec::new() };
    roles
        .badges(u)
        .into_iter()
        .map(|r| Badge { name: r.name.clone(), icon_url: r.icon_url.clone(), display_order: r.display_order })
        .collect()
}

/// What UserLite tells of a remote user's server (nothing is recorded about servers yet).
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Instance {
    name: (),
    software_name: (),
    software_version: (),
    icon_url: (),
    favicon_url: (),
    theme_color: (),
}

impl<'a> UserLite<'a> {
    pub fn new(base: &str, u: &'a LiteUser) -> Self {
        UserLite {
            id: &u.id,
            name: u.name.as_deref(),
            username: &u.username,
            host: u.host.as_deref(),
            avatar_url: avatar_url(base, u),
            avatar_blurhash: (),
            avatar_decorations: [],
            is_bot: u.is_bot,
            is_cat: u.is_cat,
            emojis: EmptyMap,
            online_status: online_status(u),
            badge_roles: badges(u),
            instance: u.host.is_some().then(Instance::default),
        }
    }
}

pub fn lite(base: &str, u: &UserRow) -> Value {
    let u = LiteUser::from(u);
    serde_json::to_value(UserLite::new(base, &u)).expect("a UserLite serialises")
}

/// How the viewer relates to each of a batch of users.
#[derive(Default)]
pub struct Relations {
    following: HashMap<String, (bool, Option<String>)>,
    followed: HashSet<String>,
    requested: HashSet<String>,
    requested_by: HashSet<String>,
    blocking: HashSet<String>,
    blocked: HashSet<String>,
    muted: HashSet<String>,
    renote_muted: HashSet<String>,
}

impl Relations {
    pub async fn load(conn: &mut AsyncPgConnection, me: &str, ids: &[String]) -> Result<Self, ApiError> {
        let mut r = Relations::default();
        if ids.is_empty() {
            return Ok(r);
        }
        let f: Vec<(String, bool, Option<String>)> = following::table
            .filter(following::follower_id.eq(me).and(following::followee_id.eq_any(ids)))
            .select((following::followee_id, following::with_replies, following::notify))
            .load(conn)
            .await?;
        r.following = f.into_iter().map(|(id, w, n)| (id, (w, n))).collect();
        r.followed = following::table
            .filter(following::followee_id.eq(me).and(following::follower_id.eq_any(ids)))
            .select(following::follower_id)
            .load::<String>(conn)
            .await?
            .into_iter()
            .collect();
        r.requested = follow_requests::table
            .filter(follow_requests::follower_id.eq(me).and(follow_requests::followee_id.eq_any(ids)))
            .select(follow_requests::followee_id)
            .load::<String>(conn)
            .await?
            .into_iter()
            .collect();
        r.requested_by = follow_requests::table
            .filter(follow_requests::followee_id.eq(me).and(follow_requests::follower_id.eq_any(ids)))
            .select(follow_requests::follower_id)
            .load::<String>(conn)
            .await?
            .into_iter()
            .collect();
        r.blocking = blockings::table
            .filter(blockings::blocker_id.eq(me).and(blockings::blockee_id.eq_any(ids)))
            .select(blockings::blockee_id)
            .load::<String>(conn)
            .await?
            .into_iter()
            .collect();
        r.blocked = blockings::table
            .filter(blockings::blockee_id.eq(me).and(blockings::blocker_id.eq_any(ids)))
            .select(blockings::blocker_id)
            .load::<String>(conn)
            .await?
            .into_iter()
            .collect();
        r.muted = mutings::table
            .filter(mutings::muter_id.eq(me).and(mutings::mutee_id.eq_any(ids)))
            .select(mutings::mutee_id)
            .load::<String>(conn)
            .await?
            .into_iter()
            .collect();
        r.renote_muted = renote_mutings::table
            .filter(renote_mutings::muter_id.eq(me).and(renote_mutings::mutee_id.eq_any(ids)))
            .select(renote_mutings::mutee_id)
            .load::<String>(conn)
            .await?
            .into_iter()
            .collect();
        Ok(r)
    }

    /// The relation fields of UserDetailedNotMe (and of users/relation).
    pub fn of(&self, id: &str) -> serde_json::Map<String, Value> {
        let f = self.following.get(id);
        let mut m = serde_json::Map::new();
        m.insert("isFollowing".into(), json!(f.is_some()));
        m.insert("isFollowed".into(), json!(self.followed.contains(id)));
        m.insert("hasPendingFollowRequestFromYou".into(), json!(self.requested.contains(id)));
        m.insert("hasPendingFollowRequestToYou".into(), json!(self.requested_by.contains(id)));
        m.insert("isBlocking".into(), json!(self.blocking.contains(id)));
        m.insert("isBlocked".into(), json!(self.blocked.contains(id)));
        m.insert("isMuted".into(), json!(self.muted.contains(id)));
        m.insert("isRenoteMuted".into(), json!(self.renote_muted.contains(id)));
        if let Some((with_replies, notify)) = f {
            m.insert("notify".into(), json!(notify.as_deref().unwrap_or("none")));
            m.insert("withReplies".into(), json!(with_replies));
        }
        m
    }
}

async fn profiles(
    conn: &mut AsyncPgConnection,
    ids: &[String],
) -> Result<HashMap<String, ProfileRow>, ApiError> {
    let rows: Vec<ProfileRow> = user_profiles::table
        .filter(user_profiles::user_id.eq_any(ids))
        .select(ProfileRow::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|p| (p.user_id.clone(), p)).collect())
}

fn detailed_one(base: &str, u: &UserRow, p: Option<&ProfileRow>, pinned: Vec<Value>, held: &Held) -> Value {
    let mut v = lite(base, u);
    let local = u.host.is_none();
    let fields = p.map(|p| p.fields.clone()).unwrap_or_else(|| json!([]));
    let extra = json!({
        "url": null,
        "uri": u.uri,
        "movedTo": null,
        "alsoKnownAs": null,
        "createdAt": iso(u.created_at),
        "updatedAt": u.updated_at.map(iso),
        "lastFetchedAt": u.last_fetched_at.map(iso),
        "bannerUrl": u.banner_url,
        "bannerBlurhash": null,
        "isLocked": u.is_locked,
        "isSilenced": !held.policies.can_public_note,
        "isSuspended": u.is_suspended,
        "description": p.and_then(|p| p.description.clone()),
        "location": p.and_then(|p| p.location.clone()),
        "birthday": p.and_then(|p| p.birthday.clone()),
        "lang": p.and_then(|p| p.lang.clone()),
        "fields": fields,
        "verifiedLinks": [],
        "followersCount": u.followers_count,
        "followingCount": u.following_count,
        "notesCount": u.notes_count,
        "pinnedNoteIds": p.map(|p| p.pinned_note_ids.clone()).unwrap_or_default(),
        "pinnedNotes": pinned,
        "pinnedPageId": null,
        "pinnedPage": null,
        "publicReactions": p.is_none_or(|p| p.public_reactions),
        "followingVisibility": p.map(|p| p.following_visibility.as_str()).unwrap_or("public"),
        "followersVisibility": p.map(|p| p.followers_visibility.as_str()).unwrap_or("public"),
        "chatScope": "mutual",
        "canChat": false,
        "roles": held.roles.iter().filter(|r| r.is_public).map(super::roles::lite).collect::<Vec<_>>(),
        "memo": null,
        "twoFactorEnabled": p.is_some_and(|p| p.two_factor_enabled),
        "usePasswordLessLogin": false,
        "securityKeys": false,
    });
    if local {
        v["followedMessage"] = json!(p.and_then(|p| p.followed_message.clone()));
    }
    merge(&mut v, extra);
    v
}

fn merge(v: &mut Value, extra: Value) {
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
}

/// UserDetailedNotMe for each user, in order; `me` adds the relation fields.
pub async fn detailed(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    rows: &[UserRow],
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
    let profs = profiles(conn, &ids).await?;
    detailed_with(conn, base, me, rows, &profs).await
}

/// [`detailed`] over profiles already loaded.
async fn detailed_with(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    rows: &[UserRow],
    profs: &HashMap<String, ProfileRow>,
) -> Result<Vec<Value>, ApiError> {
    Ok(detailed_held(conn, base, me, rows, profs).await?.into_iter().map(|(v, _)| v).collect())
}

/// [`detailed_with`], with what each user holds by their roles.
async fn detailed_held(
    conn: &mut AsyncPgConnection,
    base: &str,
    me: Option<&str>,
    rows: &[UserRow],
    profs: &HashMap<String, ProfileRow>,
) -> Result<Vec<(Value, Held)>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
    let pinned_ids: Vec<String> = profs.values().flat_map(|p| p.pinned_note_ids.iter().cloned()).collect();
    let pinned = super::notes::by_ids(conn, base, me, &pinned_ids).await?;
    let rel = match me {
        Some(me) => Some(Relations::load(conn, me, &ids).await?),
        None => None,
    };
    let mut assigned = roles::assigned_to(conn, Some(&ids)).await?;
    let snapshot = roles::snapshot(conn).await?;
    let base_policies = crate::domain::settings::base_policies(conn).await?;
    Ok(rows
        .iter()
        .map(|u| {
            let p = profs.get(&u.id);
            let pins: Vec<Value> = p
                .map(|p| p.pinned_note_ids.iter().filter_map(|id| pinned.get(id).cloned()).collect())
                .unwrap_or_default();
            let facts = roles::Facts::of_user(u, assigned.remove(&u.id).unwrap_or_default());
            let held = snapshot.held(&base_policies, &facts);
            let mut v = detailed_one(base, u, p, pins, &held);
            if let (Some(rel), Some(me)) = (&rel, me) {
                if me != u.id {
                    merge(&mut v, Value::Object(rel.of(&u.id)));
                }
            }
            (v, held)
        })
        .collect())
}

/// The drive files a user shows as avatar and banner (columns the ORM does not map).
#[derive(diesel::QueryableByName)]
struct Media {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    avatar_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    banner_id: Option<String>,
}

/// The caller's own account, MeDetailed.
pub async fn me_detailed(
    conn: &mut AsyncPgConnection,
    base: &str,
    u: &UserRow,
    policies: &RolePolicies,
) -> Result<Value, ApiError> {
    use crate::db::schema::notifications;
    let profs = profiles(conn, std::slice::from_ref(&u.id)).await?;
    let (mut v, held) = detailed_held(conn, base, None, std::slice::from_ref(u), &profs).await?.remove(0);
    let p = profs.get(&u.id);
    let unread: i64 = notifications::table
        .filter(notifications::notifiee_id.eq(&u.id).and(notifications::is_read.eq(false)))
        .count()
        .get_result(conn)
        .await?;
    let pending: i64 = follow_requests::table
        .filter(follow_requests::followee_id.eq(&u.id))
        .count()
        .get_result(conn)
        .await?;
    let backup_codes: Option<Vec<String>> = user_profiles::table
        .find(&u.id)
        .select(user_profiles::two_factor_backup_secret)
        .first(conn)
        .await
        .optional()?
        .flatten();
    let backup_codes = backup_codes.map_or(0, |c| c.len());
    let unread_announcements: Vec<Value> = crate::domain::announcements::unread(conn, &u.id)
        .await?
        .iter()
        .map(|a| super::announcements::announcement(a, Some(&u.id), Some(false)))
        .collect();
    let media: Option<Media> = diesel::sql_query("SELECT avatar_id, banner_id FROM users WHERE id = $1")
        .bind::<diesel::sql_types::Varchar, _>(&u.id)
        .get_result(conn)
        .await
        .optional()?;
    let (avatar_id, banner_id) = media.map_or((None, None), |m| (m.avatar_id, m.banner_id));
    let arr = |f: fn(&ProfileRow) -> &Value| p.map(|p| f(p).clone()).unwrap_or_else(|| json!([]));
    merge(
        &mut v,
        json!({
            "avatarId": avatar_id,
            "bannerId": banner_id,
            "followedMessage": p.and_then(|p| p.followed_message.clone()),
            "isModerator": u.is_moderator || held.is_moderator,
            "isAdmin": u.is_admin || u.is_root || held.is_administrator,
            "injectFeaturedNote": p.is_none_or(|p| p.inject_featured_note),
            "receiveAnnouncementEmail": p.is_none_or(|p| p.receive_announcement_email),
            "alwaysMarkNsfw": p.is_some_and(|p| p.always_mark_nsfw),
            "autoSensitive": p.is_some_and(|p| p.auto_sensitive),
            "carefulBot": p.is_some_and(|p| p.careful_bot),
            "autoAcceptFollowed": p.is_none_or(|p| p.auto_accept_followed),
            "noCrawle": p.is_some_and(|p| p.no_crawle),
            "preventAiLearning": p.is_none_or(|p| p.prevent_ai_learning),
            "isExplorable": u.is_explorable,
            "isDeleted": false,
            "twoFactorBackupCodesStock": crate::domain::totp::stock(backup_codes),
            "hideOnlineStatus": u.hide_online_status,
            "hasUnreadSpecifiedNotes": false,
            "hasUnreadMentions": false,
            "hasUnreadAnnouncement": !unread_announcements.is_empty(),
            "unreadAnnouncements": unread_announcements,
            "hasUnreadAntenna": false,
            "hasUnreadChannel": false,
            "hasUnreadChatMessages": false,
            "hasUnreadNotification": unread > 0,
            "hasPendingReceivedFollowRequest": pending > 0,
            "unreadNotificationsCount": unread,
            "mutedWords": arr(|p| &p.muted_words),
            "hardMutedWords": arr(|p| &p.hard_muted_words),
            "mutedInstances": arr(|p| &p.muted_instances),
            "notificationRecieveConfig": p.map(|p| p.notification_recieve_config.clone()).unwrap_or_else(|| json!({})),
            "emailNotificationTypes": p.map(|p| p.email_notification_types.clone()).unwrap_or_else(|| json!([])),
            "achievements": [],
            "loggedInDays": 0,
            "policies": policies,
            "email": p.and_then(|p| p.email.clone()),
            "emailVerified": p.is_some_and(|p| p.email_verified),
            "securityKeysList": [],
        }),
    );
    Ok(v)
}
