DROP TABLE abuse_user_reports, auth_sessions, apps, user_list_members, user_lists, blockings,
    renote_mutings, mutings, notifications, note_favorites, note_reactions, follow_requests,
    following, poll_votes, polls, notes;
DROP INDEX access_tokens_session, access_tokens_hash;
ALTER TABLE access_tokens DROP COLUMN session, DROP COLUMN hash, DROP COLUMN fetched;
ALTER TABLE meta DROP COLUMN policies;
ALTER TABLE user_profiles
    DROP COLUMN pinned_note_ids, DROP COLUMN muted_words, DROP COLUMN hard_muted_words,
    DROP COLUMN muted_instances, DROP COLUMN followed_message, DROP COLUMN public_reactions,
    DROP COLUMN following_visibility, DROP COLUMN followers_visibility,
    DROP COLUMN auto_accept_followed, DROP COLUMN careful_bot, DROP COLUMN no_crawle,
    DROP COLUMN prevent_ai_learning, DROP COLUMN always_mark_nsfw, DROP COLUMN auto_sensitive,
    DROP COLUMN inject_featured_note, DROP COLUMN receive_announcement_email,
    DROP COLUMN notification_recieve_config, DROP COLUMN email_notification_types;
ALTER TABLE users DROP COLUMN avatar_url, DROP COLUMN banner_url, DROP COLUMN is_explorable,
    DROP COLUMN hide_online_status, DROP COLUMN emojis;
