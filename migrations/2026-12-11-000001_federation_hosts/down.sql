ALTER TABLE meta DROP COLUMN blocked_hosts, DROP COLUMN silenced_hosts;
