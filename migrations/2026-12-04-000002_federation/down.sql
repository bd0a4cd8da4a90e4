ALTER TABLE follow_requests DROP COLUMN request_uri;
ALTER TABLE users DROP COLUMN url, DROP COLUMN featured_uri;
DROP TABLE instances;
DROP TABLE user_publickeys;
