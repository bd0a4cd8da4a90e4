-- Accounts: profile settings clients read and write through i/update.
ALTER TABLE users
    ADD COLUMN avatar_url varchar(512),
    ADD COLUMN banner_url varchar(512),
    ADD COLUMN is_explorable boolean NOT NULL DEFAULT true,
    ADD COLUMN hide_online_status boolean NOT NULL DEFAULT false,
    ADD COLUMN emojis varchar(128)[] NOT NULL DEFAULT '{}';

ALTER TABLE user_profiles
    ADD COLUMN pinned_note_ids varchar(32)[] NOT NULL DEFAULT '{}',
    ADD COLUMN muted_words jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN hard_muted_words jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN muted_instances jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN followed_message varchar(256),
    ADD COLUMN public_reactions boolean NOT NULL DEFAULT true,
    ADD COLUMN following_visibility varchar(16) NOT NULL DEFAULT 'public',
    ADD COLUMN followers_visibility varchar(16) NOT NULL DEFAULT 'public',
    ADD COLUMN auto_accept_followed boolean NOT NULL DEFAULT true,
    ADD COLUMN careful_bot boolean NOT NULL DEFAULT false,
    ADD COLUMN no_crawle boolean NOT NULL DEFAULT false,
    ADD COLUMN prevent_ai_learning boolean NOT NULL DEFAULT true,
    ADD COLUMN always_mark_nsfw boolean NOT NULL DEFAULT false,
    ADD COLUMN auto_sensitive boolean NOT NULL DEFAULT false,
    ADD COLUMN inject_featured_note boolean NOT NULL DEFAULT true,
    ADD COLUMN receive_announcement_email boolean NOT NULL DEFAULT true,
    ADD COLUMN notification_recieve_config jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN email_notification_types jsonb NOT NULL DEFAULT '["follow","receiveFollowRequest"]';

-- Overrides of the base role policies (admin/roles/update-default-policies).
ALTER TABLE meta ADD COLUMN policies jsonb NOT NULL DEFAULT '{}';

-- Per-token state for MiAuth sessions and the legacy app flow.
ALTER TABLE access_tokens
    ADD COLUMN session varchar(128),
    ADD COLUMN hash varchar(128),
    ADD COLUMN fetched boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX access_tokens_session ON access_tokens (session);
CREATE UNIQUE INDEX access_tokens_hash ON access_tokens (hash);

CREATE TABLE notes (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Denormalized from the author, so timelines need no join to tell local from remote.
    user_host varchar(512),
    reply_id varchar(32) REFERENCES notes (id) ON DELETE CASCADE,
    renote_id varchar(32) REFERENCES notes (id) ON DELETE CASCADE,
    reply_user_id varchar(32),
    renote_user_id varchar(32),
    thread_id varchar(32),
    text text,
    cw varchar(512),
    visibility varchar(16) NOT NULL,
    local_only boolean NOT NULL DEFAULT false,
    visible_user_ids varchar(32)[] NOT NULL DEFAULT '{}',
    mentions varchar(32)[] NOT NULL DEFAULT '{}',
    tags varchar(128)[] NOT NULL DEFAULT '{}',
    emojis varchar(128)[] NOT NULL DEFAULT '{}',
    file_ids varchar(32)[] NOT NULL DEFAULT '{}',
    has_poll boolean NOT NULL DEFAULT false,
    reaction_acceptance varchar(64),
    -- {"👍": 3, ":custom@.:": 1}; updated atomically with the reaction rows.
    reactions jsonb NOT NULL DEFAULT '{}',
    renote_count integer NOT NULL DEFAULT 0,
    replies_count integer NOT NULL DEFAULT 0,
    -- Words and CJK character bigrams of text and cw, so Japanese is searchable (see domain::search).
    search tsvector,
    uri varchar(512),
    url varchar(512)
);
CREATE INDEX notes_user_id_id ON notes (user_id, id);
CREATE INDEX notes_local_public ON notes (id) WHERE user_host IS NULL AND visibility = 'public';
CREATE INDEX notes_public ON notes (id) WHERE visibility = 'public' AND NOT local_only;
CREATE INDEX notes_reply_id ON notes (reply_id, id);
CREATE INDEX notes_renote_id ON notes (renote_id, id);
CREATE INDEX notes_thread_id ON notes (thread_id);
CREATE INDEX notes_mentions ON notes USING gin (mentions);
CREATE INDEX notes_visible_user_ids ON notes USING gin (visible_user_ids);
CREATE INDEX notes_tags ON notes USING gin (tags);
CREATE INDEX notes_search ON notes USING gin (search);
CREATE UNIQUE INDEX notes_uri ON notes (uri);

CREATE TABLE polls (
    note_id varchar(32) PRIMARY KEY REFERENCES notes (id) ON DELETE CASCADE,
    expires_at timestamptz,
    multiple boolean NOT NULL,
    choices varchar(256)[] NOT NULL,
    votes integer[] NOT NULL,
    -- Set once the pollEnded notifications went out.
    ended_notified boolean NOT NULL DEFAULT false
);
CREATE INDEX polls_expiring ON polls (expires_at) WHERE NOT ended_notified AND expires_at IS NOT NULL;

CREATE TABLE poll_votes (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    note_id varchar(32) NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    choice integer NOT NULL
);
CREATE UNIQUE INDEX poll_votes_once ON poll_votes (user_id, note_id, choice);
CREATE INDEX poll_votes_note ON poll_votes (note_id);

CREATE TABLE following (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    follower_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    follower_host varchar(512),
    followee_host varchar(512),
    with_replies boolean NOT NULL DEFAULT false,
    notify varchar(16)
);
CREATE UNIQUE INDEX following_pair ON following (follower_id, followee_id);
CREATE INDEX following_followee ON following (followee_id, id);
CREATE INDEX following_follower_id ON following (follower_id, id);

CREATE TABLE follow_requests (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    follower_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX follow_requests_pair ON follow_requests (follower_id, followee_id);
CREATE INDEX follow_requests_followee ON follow_requests (followee_id, id);

CREATE TABLE note_reactions (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    note_id varchar(32) NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    reaction varchar(260) NOT NULL
);
CREATE UNIQUE INDEX note_reactions_once ON note_reactions (user_id, note_id);
CREATE INDEX note_reactions_note ON note_reactions (note_id, id);

CREATE TABLE note_favorites (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    note_id varchar(32) NOT NULL REFERENCES notes (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX note_favorites_once ON note_favorites (user_id, note_id);
CREATE INDEX note_favorites_user ON note_favorites (user_id, id);

CREATE TABLE notifications (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    notifiee_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notifier_id varchar(32) REFERENCES users (id) ON DELETE CASCADE,
    type varchar(32) NOT NULL,
    note_id varchar(32) REFERENCES notes (id) ON DELETE CASCADE,
    reaction varchar(260),
    message text,
    is_read boolean NOT NULL DEFAULT false
);
CREATE INDEX notifications_notifiee ON notifications (notifiee_id, id);
CREATE INDEX notifications_unread ON notifications (notifiee_id) WHERE NOT is_read;

CREATE TABLE mutings (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    muter_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mutee_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX mutings_pair ON mutings (muter_id, mutee_id);

CREATE TABLE renote_mutings (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    muter_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mutee_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX renote_mutings_pair ON renote_mutings (muter_id, mutee_id);

CREATE TABLE blockings (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    blocker_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blockee_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX blockings_pair ON blockings (blocker_id, blockee_id);
CREATE INDEX blockings_blockee ON blockings (blockee_id);

CREATE TABLE user_lists (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name varchar(128) NOT NULL,
    is_public boolean NOT NULL DEFAULT false
);
CREATE INDEX user_lists_user ON user_lists (user_id);

CREATE TABLE user_list_members (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    user_list_id varchar(32) NOT NULL REFERENCES user_lists (id) ON DELETE CASCADE,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    with_replies boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX user_list_members_pair ON user_list_members (user_list_id, user_id);

CREATE TABLE apps (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    user_id varchar(32) REFERENCES users (id) ON DELETE SET NULL,
    secret varchar(64) NOT NULL,
    name varchar(128) NOT NULL,
    description varchar(512) NOT NULL DEFAULT '',
    permission text[] NOT NULL DEFAULT '{}',
    callback_url varchar(512)
);
CREATE UNIQUE INDEX apps_secret ON apps (secret);

CREATE TABLE auth_sessions (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    token varchar(128) NOT NULL,
    user_id varchar(32) REFERENCES users (id) ON DELETE CASCADE,
    app_id varchar(32) NOT NULL REFERENCES apps (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX auth_sessions_token ON auth_sessions (token);

CREATE TABLE abuse_user_reports (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    target_user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reporter_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment varchar(2048) NOT NULL,
    resolved boolean NOT NULL DEFAULT false
);
CREATE INDEX abuse_user_reports_open ON abuse_user_reports (id) WHERE NOT resolved;
