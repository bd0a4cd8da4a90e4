-- Announcements from the moderators, to everyone or to one user, and who has read which.
CREATE TABLE announcements (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz,
    title varchar(256) NOT NULL,
    text varchar(8192) NOT NULL,
    image_url varchar(1024),
    icon varchar(16) NOT NULL DEFAULT 'info',
    display varchar(16) NOT NULL DEFAULT 'normal',
    need_confirmation_to_read boolean NOT NULL DEFAULT false,
    silence boolean NOT NULL DEFAULT false,
    for_existing_users boolean NOT NULL DEFAULT false,
    is_active boolean NOT NULL DEFAULT true,
    user_id varchar(32) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX announcements_active_id ON announcements (is_active, id);
CREATE INDEX announcements_user_id ON announcements (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE announcement_reads (
    announcement_id varchar(32) NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, announcement_id)
);
CREATE INDEX announcement_reads_announcement ON announcement_reads (announcement_id);
