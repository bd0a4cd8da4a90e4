-- exportCompleted notifications name the file made and what it holds.
ALTER TABLE notifications ADD COLUMN file_id varchar(32), ADD COLUMN exported_entity varchar(32);
