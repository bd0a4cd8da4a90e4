ALTER TABLE notifications DROP COLUMN role_id;
