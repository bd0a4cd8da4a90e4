-- Custom emoji: the instance's own (host NULL) and those other servers' notes and reactions use.
CREATE TABLE emojis (
    id varchar(32) PRIMARY KEY,
    updated_at timestamptz,
    name varchar(128) NOT NULL,
    host varchar(512),
    category varchar(128),
    original_url varchar(1024) NOT NULL,
    public_url varchar(1024) NOT NULL DEFAULT '',
    -- ActivityPub id of a remote emoji.
    uri varchar(1024),
    type varchar(64),
    aliases varchar(128)[] NOT NULL DEFAULT '{}',
    license varchar(1024),
    local_only boolean NOT NULL DEFAULT false,
    is_sensitive boolean NOT NULL DEFAULT false,
    role_ids_that_can_be_used_this_emoji_as_reaction varchar(128)[] NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX emojis_name_host ON emojis (name, coalesce(host, ''));
CREATE INDEX emojis_host ON emojis (host, id);
