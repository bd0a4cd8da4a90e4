-- Public keys of remote actors, found by the keyId their signatures name.
CREATE TABLE user_publickeys (
    user_id varchar(32) PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    key_id varchar(512) NOT NULL,
    key_pem text NOT NULL
);
CREATE UNIQUE INDEX user_publickeys_key_id ON user_publickeys (key_id);

-- Servers this one has met: when they last answered, and the circuit breaker of deliveries
-- to them (after repeated failures nothing is sent before `retry_after`).
CREATE TABLE instances (
    host varchar(256) PRIMARY KEY,
    id varchar(32) GENERATED ALWAYS AS (substr(md5(host), 1, 20)) STORED,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_success_at timestamptz,
    last_failure_at timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0,
    -- Rests in a row (each twice as long as the one before); 0 once the host answers.
    rests integer NOT NULL DEFAULT 0,
    retry_after timestamptz
);

-- Remote profiles keep the address of their page and their featured collection.
ALTER TABLE users ADD COLUMN url varchar(512), ADD COLUMN featured_uri varchar(512);

-- The id of a remote Follow, answered by Accept or Reject when the request is decided.
ALTER TABLE follow_requests ADD COLUMN request_uri varchar(512);
