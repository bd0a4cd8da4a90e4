-- Drive: users' folders and files (uploads, and files of remote notes and actors).
CREATE TABLE drive_folders (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    name varchar(200) NOT NULL,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id varchar(32) REFERENCES drive_folders (id) ON DELETE RESTRICT
);
CREATE INDEX drive_folders_user_parent ON drive_folders (user_id, parent_id, id);

CREATE TABLE drive_files (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    user_id varchar(32) REFERENCES users (id) ON DELETE CASCADE,
    -- The owner's host, NULL for local users (remote files are counted apart).
    user_host varchar(512),
    md5 varchar(32) NOT NULL,
    name varchar(256) NOT NULL,
    type varchar(128) NOT NULL,
    size bigint NOT NULL,
    comment varchar(8192),
    blurhash varchar(128),
    -- {width, height, orientation?}
    properties jsonb NOT NULL DEFAULT '{}',
    url varchar(1024) NOT NULL,
    thumbnail_url varchar(1024),
    webpublic_url varchar(1024),
    webpublic_type varchar(128),
    -- Storage keys of the original, its thumbnail and its web version; NULL for a remote file
    -- that is only linked.
    access_key varchar(256),
    thumbnail_access_key varchar(256),
    webpublic_access_key varchar(256),
    -- ActivityPub id of a remote file, and where it came from.
    uri varchar(1024),
    src varchar(1024),
    folder_id varchar(32) REFERENCES drive_folders (id) ON DELETE SET NULL,
    is_sensitive boolean NOT NULL DEFAULT false,
    -- A remote file known only by its URL (nothing stored here).
    is_link boolean NOT NULL DEFAULT false
);
CREATE INDEX drive_files_user_folder ON drive_files (user_id, folder_id, id);
CREATE INDEX drive_files_user_md5 ON drive_files (user_id, md5);
CREATE UNIQUE INDEX drive_files_access_key ON drive_files (access_key);
CREATE UNIQUE INDEX drive_files_thumbnail_access_key ON drive_files (thumbnail_access_key);
CREATE UNIQUE INDEX drive_files_webpublic_access_key ON drive_files (webpublic_access_key);
CREATE INDEX drive_files_uri ON drive_files (uri);
-- Which notes show a file (drive/files/attached-notes, and deletion).
CREATE INDEX notes_file_ids ON notes USING gin (file_ids);

-- Avatar and banner (users is at the ORM's column limit: read with SQL).
ALTER TABLE users
    ADD COLUMN avatar_id varchar(32) REFERENCES drive_files (id) ON DELETE SET NULL,
    ADD COLUMN banner_id varchar(32) REFERENCES drive_files (id) ON DELETE SET NULL,
    ADD COLUMN avatar_blurhash varchar(128),
    ADD COLUMN banner_blurhash varchar(128);
CREATE INDEX users_avatar_id ON users (avatar_id) WHERE avatar_id IS NOT NULL;
CREATE INDEX users_banner_id ON users (banner_id) WHERE banner_id IS NOT NULL;
