-- The servers an administrator blocks or silences from the control panel, beside those of the
-- configuration file (`[federation] blocked_hosts`, `silenced_hosts`), which always apply.
ALTER TABLE meta
    ADD COLUMN blocked_hosts text[] NOT NULL DEFAULT '{}',
    ADD COLUMN silenced_hosts text[] NOT NULL DEFAULT '{}';
