//! Every endpoint of the client API, with Misskey's flags: credential and permission `kind`,
//! `secure`, role, rate limit, GET. Dispatch, checks and `/api.json` all read this table.

use super::endpoint::{ep, Endpoint, HOUR, SEC};
use super::{
    accounts, announcements, apps, drive, emoji, federation, following, instance, instances, invites, meta,
    moderation, notes, notifications, ping, queue, relations, roles, timelines, twofactor, users,
};

pub fn all() -> Vec<Endpoint> {
    vec![
        // drive
        ep("drive", drive::drive).cred(Some("read:drive")).doc("The caller's drive capacity and usage, in bytes."),
        ep("drive/files", drive::files)
            .cred(Some("read:drive"))
            .doc("The caller's files in one folder (null: the root), by type, newest first or sorted."),
        ep("drive/stream", drive::stream).cred(Some("read:drive")).doc("All of the caller's files, newest first, by type."),
        ep("drive/files/create", drive::create)
            .cred(Some("write:drive"))
            .file()
            .limit(HOUR, 120)
            .doc("Uploads a file (multipart/form-data, `file` part): type read from the bytes, metadata stripped from photos, thumbnail and blurhash made."),
        ep("drive/files/upload-from-url", drive::upload_from_url)
            .cred(Some("write:drive"))
            .limit(HOUR, 60)
            .doc("Fetches a file from a URL into the drive in the background; `urlUploadFinished` on the main channel tells when it is in."),
        ep("admin/drive/files", drive::admin_files)
            .moderator()
            .kind("read:admin:drive")
            .doc("Every user's files: local, remote or both, by user, host and type."),
        ep("admin/drive/show-file", drive::admin_show_file)
            .moderator()
            .kind("read:admin:drive")
            .doc("One file as stored, by id or URL."),
        ep("admin/delete-all-files-of-a-user", drive::admin_delete_all_files)
            .admin()
            .kind("write:admin:delete-all-files-of-a-user")
            .doc("Removes every file of a user, in the background. Logged."),
        ep("drive/files/show", drive::show).cred(Some("read:drive")).doc("One file by id or URL (its owner or a moderator)."),
        ep("drive/files/update", drive::update)
            .cred(Some("write:drive"))
            .doc("Renames, moves, marks sensitive or sets the alt text of a file."),
        ep("drive/files/delete", drive::delete).cred(Some("write:drive")).doc("Deletes a file and its stored versions."),
        ep("drive/files/find", drive::find).cred(Some("read:drive")).doc("The caller's files with this exact name in a folder."),
        ep("drive/files/find-by-hash", drive::find_by_hash).cred(Some("read:drive")).doc("The caller's files with this MD5."),
        ep("drive/files/check-existence", drive::check_existence)
            .cred(Some("read:drive"))
            .doc("Whether the caller has a file with this MD5."),
        ep("drive/files/attached-notes", drive::attached_notes)
            .cred(Some("read:drive"))
            .doc("Notes that show a file."),
        ep("drive/files/move-bulk", drive::move_bulk).cred(Some("write:drive")).doc("Moves up to 100 of the caller's files into a folder."),
        ep("drive/folders", drive::folders).cred(Some("read:drive")).doc("The caller's folders in a folder (null: top level)."),
        ep("drive/folders/create", drive::folder_create)
            .cred(Some("write:drive"))
            .limit(HOUR, 10)
            .doc("Creates a folder."),
        ep("drive/folders/show", drive::folder_show).cred(Some("read:drive")).doc("A folder with its counts and parents."),
        ep("drive/folders/update", drive::folder_update)
            .cred(Some("write:drive"))
            .doc("Renames or moves a folder (never into itself or below itself)."),
        ep("drive/folders/delete", drive::folder_delete).cred(Some("write:drive")).doc("Deletes an empty folder."),
        ep("drive/folders/find", drive::folder_find).cred(Some("read:drive")).doc("The caller's folders with this exact name."),
        // custom emoji
        ep("emojis", emoji::list_public).get().doc("The instance's custom emoji (EmojiSimple)."),
        ep("emoji", emoji::show_public).get().doc("One local custom emoji by name (EmojiDetailed)."),
        ep("admin/emoji/add", emoji::add)
            .cred(Some("write:admin:emoji"))
            .policy("canManageCustomEmojis", |p| p.can_manage_custom_emojis)
            .doc("Adds a custom emoji from a drive image. Logged."),
        ep("admin/emoji/update", emoji::update)
            .cred(Some("write:admin:emoji"))
            .policy("canManageCustomEmojis", |p| p.can_manage_custom_emojis)
            .doc("Changes a custom emoji (by id, or by name): name, image, category, aliases, license, flags. Logged."),
        ep("admin/emoji/delete", emoji::delete)
            .cred(Some("write:admin:emoji"))
            .policy("canManageCustomEmojis", |p| p.can_manage_custom_emojis)
            .doc("Deletes a custom emoji. Logged."),
        ep("admin/emoji/copy", emoji::copy)
            .cred(Some("write:admin:emoji"))
            .policy("canManageCustomEmojis", |p| p.can_manage_custom_emojis)
            .doc("Copies another server's emoji into this instance's set. Logged."),
        ep("admin/emoji/import-zip", emoji::import_zip)
            .cred(None)
            .secure()
            .policy("canManageCustomEmojis", |p| p.can_manage_custom_emojis)
            .doc("Imports an emoji pack (a zip with meta.json, as Misskey exports) from the caller's drive, in the background; names already taken are kept."),
        ep("export-custom-emojis", emoji::export)
            .cred(None)
            .secure()
            .limit(HOUR, 1)
            .doc("Exports the instance's custom emoji as a pack (zip with meta.json) into the caller's drive, in the background."),
        ep("admin/emoji/list", emoji::list)
            .cred(Some("read:admin:emoji"))
            .policy("canManageCustomEmojis", |p| p.can_manage_custom_emojis)
            .doc("This instance's custom emoji, by name."),
        ep("admin/emoji/list-remote", emoji::list_remote)
            .cred(Some("read:admin:emoji"))
            .policy("canManageCustomEmojis", |p| p.can_manage_custom_emojis)
            .doc("Other servers' custom emoji seen here, by name and host."),
        // meta
        ep("meta", meta::meta).get().doc("Instance information (MetaDetailed, or MetaLite with detail: false)."),
        ep("ping", ping::ping).doc("The server's clock."),
        ep("announcements", announcements::list)
            .get()
            .doc("Announcements to everyone and to the caller, current (default) or ended, newest first, with isRead when signed in."),
        ep("announcements/show", announcements::show)
            .get()
            .doc("One announcement the caller may see."),
        ep("i/read-announcement", announcements::read)
            .cred(Some("write:account"))
            .doc("Marks an announcement read (the caller's own one ends with it); readAllAnnouncements when none is left."),
        ep("admin/announcements/create", announcements::create)
            .moderator()
            .kind("write:admin:announcements")
            .doc("Announces to everyone, or to one user (announcementCreated on the streaming API; logged)."),
        ep("admin/announcements/update", announcements::update)
            .moderator()
            .kind("write:admin:announcements")
            .doc("Changes or ends an announcement (logged with what it was)."),
        ep("admin/announcements/delete", announcements::delete)
            .moderator()
            .kind("write:admin:announcements")
            .doc("Deletes an announcement and its reads (logged)."),
        ep("admin/announcements/list", announcements::admin_list)
            .moderator()
            .kind("read:admin:announcements")
            .doc("Announcements to everyone or to one user, by status, with how many have read each."),
        // accounts and auth
        ep("admin/accounts/create", accounts::admin_create)
            .doc("Creates an account: the first administrator (with the setup token while no user exists), then admin-only."),
        ep("signup", accounts::signup).limit(HOUR, 10).min_interval(SEC).doc("Registers a local account."),
        ep("i", accounts::i).cred(Some("read:account")).doc("The caller's own account (MeDetailed)."),
        ep("i/update", accounts::update).cred(Some("write:account")).limit(HOUR, 20).doc("Updates the caller's profile and settings."),
        ep("i/regenerate-token", accounts::regenerate_token).cred(None).secure().limit(HOUR, 10).doc("Replaces the native token."),
        ep("i/2fa/register", twofactor::register)
            .cred(None)
            .secure()
            .limit(HOUR, 10)
            .doc("Starts turning on two-factor sign-in: a new TOTP secret (otpauth URL and QR code)."),
        ep("i/2fa/done", twofactor::done)
            .cred(None)
            .secure()
            .limit(HOUR, 10)
            .doc("Turns two-factor sign-in on with a code for the new secret; answers the backup codes."),
        ep("i/2fa/unregister", twofactor::unregister)
            .cred(None)
            .secure()
            .limit(HOUR, 10)
            .doc("Turns two-factor sign-in off (password, and a code while it is on)."),
        ep("i/pin", accounts::pin).cred(Some("write:account")).doc("Pins one of the caller's notes."),
        ep("i/unpin", accounts::unpin).cred(Some("write:account")).doc("Unpins a note."),
        ep("i/favorites", notes::my_favorites).cred(Some("read:favorites")).doc("The caller's favorite notes."),
        ep("admin/roles/create", roles::create)
            .admin()
            .kind("write:admin:roles")
            .doc("Makes a role: policies, a condition or manual membership, badge, moderator or administrator (logged)."),
        ep("admin/roles/update", roles::update)
            .admin()
            .kind("write:admin:roles")
            .doc("Changes a role; its holders' next requests follow (logged with what it was)."),
        ep("admin/roles/delete", roles::delete)
            .admin()
            .kind("write:admin:roles")
            .doc("Deletes a role and its assignments (logged)."),
        ep("admin/roles/show", roles::show).moderator().kind("read:admin:roles").doc("One role."),
        ep("admin/roles/list", roles::list).moderator().kind("read:admin:roles").doc("Every role, in display order."),
        ep("admin/roles/assign", roles::assign)
            .moderator()
            .kind("write:admin:roles")
            .doc("Gives a user a manual role, optionally until a time (moderators only where the role allows; logged)."),
        ep("admin/roles/unassign", roles::unassign)
            .moderator()
            .kind("write:admin:roles")
            .doc("Takes a manual role from a user (logged)."),
        ep("admin/roles/users", roles::users)
            .moderator()
            .kind("read:admin:roles")
            .doc("The holders of a manual role, newest first, with when it ends."),
        ep("roles/list", roles::public_list)
            .cred(Some("read:account"))
            .doc("The public, explorable roles."),
        ep("roles/show", roles::public_show).doc("One public role."),
        ep("roles/users", roles::public_users).doc("The holders of a public, explorable role."),
        ep("roles/notes", roles::public_notes)
            .cred(Some("read:account"))
            .doc("Public notes of the holders of a public role, newest first (none when it is not explorable)."),
        ep("admin/roles/update-default-policies", accounts::update_default_policies)
            .admin()
            .kind("write:admin:roles")
            .doc("Changes the base role policies every user gets."),
        ep("admin/show-users", moderation::show_users)
            .moderator()
            .kind("read:admin:show-user")
            .doc("Accounts by state (alive, suspended, staff…), origin, username prefix and host, sorted."),
        ep("admin/show-user", moderation::show_user)
            .moderator()
            .kind("read:admin:show-user")
            .doc("One account as moderators see it: settings, state, moderation note, policies."),
        ep("admin/suspend-user", moderation::suspend)
            .moderator()
            .kind("write:admin:suspend-user")
            .doc("Suspends an account (not the root account; moderators do not suspend staff). Logged."),
        ep("admin/unsuspend-user", moderation::unsuspend)
            .moderator()
            .kind("write:admin:unsuspend-user")
            .doc("Lifts a suspension. Logged."),
        ep("admin/update-user-note", moderation::update_user_note)
            .moderator()
            .kind("write:admin:user-note")
            .doc("Sets the moderators' note about an account. Logged with the text before and after."),
        ep("admin/reset-password", moderation::reset_password)
            .moderator()
            .kind("write:admin:reset-password")
            .doc("Gives a local account a new random password, answered once (not the root account). Logged."),
        ep("admin/abuse-user-reports", moderation::reports)
            .moderator()
            .kind("read:admin:abuse-user-reports")
            .doc("Abuse reports, newest first, by state and by the reporter's and target's origin."),
        ep("admin/resolve-abuse-user-report", moderation::resolve_report)
            .moderator()
            .kind("write:admin:resolve-abuse-user-report")
            .doc("Closes a report as accepted, rejected or neither. Logged."),
        ep("admin/forward-abuse-user-report", moderation::forward_report)
            .moderator()
            .kind("write:admin:resolve-abuse-user-report")
            .doc("Sends a report about a remote account to its server as a Flag from this instance (once). Logged."),
        ep("i/delete-account", moderation::delete_own_account)
            .cred(None)
            .secure()
            .doc("Deletes the caller's account (password, and a code while two-factor sign-in is on): it is gone at once, its content in the background, and other servers are told."),
        ep("admin/delete-account", moderation::delete_account)
            .admin()
            .kind("write:admin:delete-account")
            .doc("Deletes a local account (not the root account) as i/delete-account does. Logged."),
        ep("admin/show-moderation-logs", moderation::logs)
            .admin()
            .kind("read:admin:show-moderation-log")
            .doc("Moderator actions, newest first, by type, moderator and text."),
        ep("admin/meta", instance::admin_meta)
            .moderator()
            .kind("read:admin:meta")
            .doc("Every instance setting as an administrator sees it (AdminMetaResponse; secrets are never answered). `blockedHosts` and `silencedHosts` are the lists set through admin/update-meta; the configuration file's apply as well, and federation/instances tells each server's state."),
        ep("admin/update-meta", instance::update_meta)
            .admin()
            .kind("write:admin:meta")
            .doc("Changes instance settings: name, looks, links, registration, word lists, pinned users, preserved usernames, blocked and silenced servers (recorded in the moderation log; the servers' lists reach every process within seconds)."),
        ep("invite/create", invites::create)
            .cred(Some("write:invite-codes"))
            .policy("canInvite", |p| p.can_invite)
            .doc("Makes an invitation code of the caller's own (within the policies' limit per cycle)."),
        ep("invite/delete", invites::delete)
            .cred(Some("write:invite-codes"))
            .policy("canInvite", |p| p.can_invite)
            .doc("Deletes an unused invitation code of the caller's (moderators: any code)."),
        ep("invite/limit", invites::limit)
            .cred(Some("read:invite-codes"))
            .policy("canInvite", |p| p.can_invite)
            .doc("How many more codes the caller may make in this cycle (null: no limit)."),
        ep("invite/list", invites::list)
            .cred(Some("read:invite-codes"))
            .policy("canInvite", |p| p.can_invite)
            .doc("The caller's invitation codes."),
        ep("admin/invite/create", invites::admin_create)
            .moderator()
            .kind("write:admin:invite-codes")
            .doc("Makes 1–100 invitation codes, optionally expiring."),
        ep("admin/invite/list", invites::admin_list)
            .moderator()
            .kind("read:admin:invite-codes")
            .doc("All invitation codes, filtered by state and sorted."),
        ep("ap/show", federation::show)
            .cred(Some("read:account"))
            .limit(HOUR, 30)
            .doc("Resolves an ActivityPub URL or @user@host into the user or note it names, fetching it when unknown."),
        ep("ap/get", federation::get)
            .admin()
            .kind("read:federation")
            .limit(HOUR, 30)
            .doc("Fetches an ActivityPub document (signed by the instance actor) and answers it as it came."),
        ep("federation/instances", instances::list)
            .get()
            .limit(HOUR, 600)
            .doc("The servers this one has met, with their users, notes and follows here (filter and sort as Misskey)."),
        ep("federation/users", instances::users).doc("Users of a remote server known here, newest first."),
        ep("federation/followers", instances::followers)
            .doc("Follows from this server's users toward a remote server's users (Following with both users)."),
        ep("federation/following", instances::following)
            .doc("Follows from a remote server's users toward this server's users (Following with both users)."),
        ep("admin/federation/refresh-remote-instance-metadata", instances::refresh_metadata)
            .moderator()
            .kind("write:admin:federation")
            .doc("Asks a known server again for its NodeInfo and manifest (the answer is stored in the background)."),
        ep("federation/show-instance", instances::show)
            .get()
            .doc("One server this one has met, by host (null when unknown)."),
        ep("admin/queue/stats", queue::stats)
            .moderator()
            .kind("read:admin:queue")
            .doc("Jobs of the deliver, inbox, db and objectStorage queues (QueueCount): waiting, active, delayed, and completed/failed so far."),
        ep("admin/queue/jobs", queue::jobs)
            .moderator()
            .kind("read:admin:queue")
            .doc("Up to 100 jobs of a queue in the given states, most recently changed first (completed jobs are not kept)."),
        ep("admin/queue/show-job", queue::show_job).moderator().kind("read:admin:queue").doc("One job (QueueJob)."),
        ep("admin/queue/retry-job", queue::retry_job)
            .moderator()
            .kind("write:admin:queue")
            .doc("Retries a dead job with fresh attempts, or runs a delayed one now."),
        ep("admin/queue/remove-job", queue::remove_job)
            .moderator()
            .kind("write:admin:queue")
            .doc("Removes a job that is not running."),
        ep("admin/queue/promote-jobs", queue::promote_jobs)
            .moderator()
            .kind("write:admin:queue")
            .doc("Makes every delayed job of a queue due now."),
        ep("admin/queue/deliver-delayed", queue::deliver_delayed)
            .moderator()
            .kind("read:admin:queue")
            .doc("Waiting deliveries per remote host, most first: [host, count] pairs."),
        ep("admin/queue/inbox-delayed", queue::inbox_delayed)
            .moderator()
            .kind("read:admin:queue")
            .doc("Waiting inbox jobs per remote host, most first: [host, count] pairs."),
        ep("i/apps", apps::my_apps).cred(None).secure().doc("The caller's app tokens (MiAuth and legacy), newest first."),
        ep("i/revoke-token", apps::revoke_token).cred(None).secure().doc("Revokes one of the caller's app tokens, by id or by the token."),
        ep("miauth/gen-token", apps::miauth_gen_token).cred(None).secure().doc("Creates a MiAuth app token (approval page)."),
        ep("app/create", apps::app_create).limit(HOUR, 30).doc("Registers an app for the legacy auth flow."),
        ep("app/show", apps::app_show).doc("Shows an app."),
        ep("auth/session/generate", apps::session_generate).doc("Starts a legacy auth session."),
        ep("auth/session/show", apps::session_show).doc("Shows a legacy auth session."),
        ep("auth/session/userkey", apps::session_userkey).doc("Completes a legacy auth session: the access token."),
        ep("auth/accept", apps::accept).cred(None).secure().doc("Approves a legacy auth session."),
        // notes
        ep("notes/create", notes::create).cred(Some("write:notes")).limit(HOUR, 300).doc("Posts a note."),
        ep("notes/delete", notes::delete).cred(Some("write:notes")).limit(HOUR, 300).min_interval(SEC).doc("Deletes a note."),
        ep("notes/show", notes::show).doc("One note."),
        ep("notes/children", notes::children).doc("Replies and quotes of a note."),
        ep("notes/replies", notes::replies).doc("Replies to a note."),
        ep("notes/renotes", notes::renotes).doc("Renotes of a note."),
        ep("notes/unrenote", notes::unrenote).cred(Some("write:notes")).limit(HOUR, 300).min_interval(SEC).doc("Removes the caller's renotes of a note."),
        ep("notes/conversation", notes::conversation).doc("The notes a note replies to."),
        ep("notes/state", notes::state).cred(Some("read:account")).doc("Whether the caller favorited a note."),
        ep("notes/search", notes::search_notes).doc("Full-text search over notes (Japanese too)."),
        ep("hashtags/search", notes::search_hashtags).limit(HOUR, 3600).doc("Hashtags starting with the query, most used first among recent public notes."),
        ep("notes/search-by-tag", timelines::search_by_tag).doc("Notes with hashtags: one tag, or any of several groups of tags that must all be present."),
        ep("notes/mentions", timelines::mentions).cred(Some("read:account")).doc("Notes mentioning the caller."),
        ep("notes/timeline", timelines::home).cred(Some("read:account")).doc("Home timeline."),
        ep("notes/local-timeline", timelines::local).doc("Local timeline."),
        ep("notes/hybrid-timeline", timelines::hybrid).cred(Some("read:account")).doc("Social timeline: home and local."),
        ep("notes/global-timeline", timelines::global).doc("Global timeline."),
        ep("notes/user-list-timeline", timelines::user_list).cred(Some("read:account")).doc("Notes of a user list's members."),
        ep("users/notes", timelines::user_notes).doc("A user's notes."),
        ep("notes/reactions", notes::reactions).get().doc("Reactions to a note."),
        ep("notes/reactions/create", notes::react).cred(Some("write:reactions")).limit(HOUR, 300).doc("Reacts to a note."),
        ep("notes/reactions/delete", notes::unreact).cred(Some("write:reactions")).limit(HOUR, 60).min_interval(3 * SEC).doc("Removes the caller's reaction."),
        ep("notes/polls/vote", notes::vote).cred(Some("write:votes")).doc("Votes in a poll."),
        ep("notes/favorites/create", notes::favorite).cred(Some("write:favorites")).limit(HOUR, 20).doc("Favorites a note."),
        ep("notes/favorites/delete", notes::unfavorite).cred(Some("write:favorites")).doc("Removes a favorite."),
        // users
        ep("users/show", users::show).doc("Users by id, ids, or username and host."),
        ep("users/followers", users::followers).doc("A user's followers."),
        ep("users/following", users::following_list).doc("Whom a user follows."),
        ep("users/relation", users::relation).cred(Some("read:account")).doc("How the caller relates to users."),
        ep("users/search", users::search).doc("Searches users by username and name."),
        ep("users/lists/create", users::list_create).cred(Some("write:account")).doc("Creates a user list."),
        ep("users/lists/list", users::list_list).kind("read:account").doc("User lists."),
        ep("users/lists/show", users::list_show).kind("read:account").doc("One user list."),
        ep("users/lists/update", users::list_update).cred(Some("write:account")).doc("Renames or publishes a list."),
        ep("users/lists/delete", users::list_delete).cred(Some("write:account")).doc("Deletes a list."),
        ep("users/lists/push", users::list_push).cred(Some("write:account")).limit(HOUR, 30).doc("Adds a user to a list."),
        ep("users/lists/pull", users::list_pull).cred(Some("write:account")).doc("Removes a user from a list."),
        ep("users/report-abuse", users::report_abuse).cred(Some("write:report-abuse")).limit(HOUR, 10).doc("Reports a user to the moderators."),
        // following
        ep("following/create", following::create).cred(Some("write:following")).limit(HOUR, 100).doc("Follows a user (or asks to)."),
        ep("following/delete", following::delete).cred(Some("write:following")).limit(HOUR, 100).doc("Unfollows a user."),
        ep("following/requests/list", following::requests_list).cred(Some("read:following")).doc("Follow requests to the caller."),
        ep("following/requests/sent", following::requests_sent).cred(Some("read:following")).doc("Follow requests the caller sent."),
        ep("following/requests/accept", following::accept).cred(Some("write:following")).doc("Accepts a follow request."),
        ep("following/requests/reject", following::reject).cred(Some("write:following")).doc("Rejects a follow request."),
        ep("following/requests/cancel", following::cancel).cred(Some("write:following")).doc("Withdraws a follow request."),
        // mutes and blocks
        ep("mute/create", relations::mute).cred(Some("write:mutes")).limit(HOUR, 20).doc("Mutes a user."),
        ep("mute/delete", relations::unmute).cred(Some("write:mutes")).doc("Unmutes a user."),
        ep("mute/list", relations::mute_list).cred(Some("read:mutes")).doc("Muted users."),
        ep("renote-mute/create", relations::renote_mute).cred(Some("write:mutes")).limit(HOUR, 20).doc("Mutes a user's renotes."),
        ep("renote-mute/delete", relations::renote_unmute).cred(Some("write:mutes")).doc("Unmutes a user's renotes."),
        ep("renote-mute/list", relations::renote_mute_list).cred(Some("read:mutes")).doc("Users whose renotes are muted."),
        ep("blocking/create", relations::block).cred(Some("write:blocks")).limit(HOUR, 20).doc("Blocks a user."),
        ep("blocking/delete", relations::unblock).cred(Some("write:blocks")).limit(HOUR, 100).doc("Unblocks a user."),
        ep("blocking/list", relations::block_list).cred(Some("read:blocks")).doc("Blocked users."),
        // notifications
        ep("i/notifications", notifications::list).cred(Some("read:notifications")).limit(30 * SEC, 30).doc("The caller's notifications."),
        ep("i/notifications-grouped", notifications::grouped).cred(Some("read:notifications")).limit(30 * SEC, 30).doc("Notifications, reactions and renotes grouped."),
        ep("notifications/mark-all-as-read", notifications::mark_all_read).cred(Some("write:notifications")).doc("Marks every notification read."),
        ep("notifications/flush", notifications::flush).cred(Some("write:notifications")).doc("Deletes every notification."),
    ]
}
