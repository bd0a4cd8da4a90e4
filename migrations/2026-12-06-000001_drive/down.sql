ALTER TABLE users DROP COLUMN avatar_id, DROP COLUMN banner_id, DROP COLUMN avatar_blurhash, DROP COLUMN banner_blurhash;
DROP INDEX notes_file_ids;
DROP TABLE drive_files;
DROP TABLE drive_folders;
