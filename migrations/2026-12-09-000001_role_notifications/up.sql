-- The role a `roleAssigned` notification names (gone with the role).
ALTER TABLE notifications ADD COLUMN role_id varchar(32) REFERENCES roles(id) ON DELETE CASCADE;
