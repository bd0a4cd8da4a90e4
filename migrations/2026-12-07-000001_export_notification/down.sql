ALTER TABLE notifications DROP COLUMN file_id, DROP COLUMN exported_entity;
