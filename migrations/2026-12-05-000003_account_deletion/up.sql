-- Accounts being deleted (or deleted): the row of the user stays, as on Misskey, so its
-- username is never taken again and its Delete can still be signed; everything it had goes in
-- the background, in bounded batches.
CREATE TABLE deleted_accounts (
    user_id varchar(32) PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    requested_at timestamptz NOT NULL,
    finished_at timestamptz
);
