-- Instance metadata: exactly one row, id 'x'.
CREATE TABLE meta (
    id varchar(32) PRIMARY KEY,
    name varchar(1024),
    description varchar(8192),
    maintainer_name varchar(1024),
    maintainer_email varchar(1024),
    lang_default varchar(32),
    disable_registration boolean NOT NULL DEFAULT true,
    root_user_id varchar(32),
    -- bcrypt hash of the one-time token that lets the first admin account be created.
    setup_token_hash varchar(128),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz,
    last_fetched_at timestamptz,
    last_active_date timestamptz,
    username varchar(128) NOT NULL,
    username_lower varchar(128) NOT NULL,
    -- NULL for local users.
    host varchar(512),
    name varchar(128),
    followers_count integer NOT NULL DEFAULT 0,
    following_count integer NOT NULL DEFAULT 0,
    notes_count integer NOT NULL DEFAULT 0,
    is_suspended boolean NOT NULL DEFAULT false,
    is_locked boolean NOT NULL DEFAULT false,
    is_bot boolean NOT NULL DEFAULT false,
    is_cat boolean NOT NULL DEFAULT false,
    -- The first administrator; cannot be demoted or suspended.
    is_root boolean NOT NULL DEFAULT false,
    is_admin boolean NOT NULL DEFAULT false,
    is_moderator boolean NOT NULL DEFAULT false,
    -- System accounts (the instance actor) never sign in.
    is_system boolean NOT NULL DEFAULT false,
    -- Native 16-character API token of a local user.
    token char(16),
    uri varchar(512),
    inbox varchar(512),
    shared_inbox varchar(512),
    followers_uri varchar(512)
);
CREATE UNIQUE INDEX users_username_host ON users (username_lower, coalesce(host, ''));
CREATE UNIQUE INDEX users_token ON users (token);
CREATE UNIQUE INDEX users_uri ON users (uri);
CREATE INDEX users_host ON users (host);

CREATE TABLE user_profiles (
    user_id varchar(32) PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- bcrypt ($2a$/$2b$), as Misskey stores it.
    password varchar(128),
    email varchar(128),
    email_verified boolean NOT NULL DEFAULT false,
    description varchar(2048),
    location varchar(128),
    birthday char(10),
    lang varchar(32),
    url varchar(512),
    fields jsonb NOT NULL DEFAULT '[]',
    two_factor_enabled boolean NOT NULL DEFAULT false,
    two_factor_secret varchar(128)
);

CREATE TABLE user_keypairs (
    user_id varchar(32) PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    public_key text NOT NULL,
    private_key text NOT NULL
);

CREATE TABLE access_tokens (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    token varchar(128) NOT NULL,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id varchar(32),
    name varchar(128),
    description varchar(512),
    icon_url varchar(512),
    permission text[] NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX access_tokens_token ON access_tokens (token);
CREATE INDEX access_tokens_user_id ON access_tokens (user_id);
