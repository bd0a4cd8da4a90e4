-- Every moderator action: who, what, when, and what it was about.
CREATE TABLE moderation_logs (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type varchar(64) NOT NULL,
    info jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX moderation_logs_user ON moderation_logs (user_id, id);
CREATE INDEX moderation_logs_type ON moderation_logs (type, id);

-- Reports: who took one on, how it ended, whether it went to the target's server, notes.
ALTER TABLE abuse_user_reports
    ADD COLUMN assignee_id varchar(32) REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN resolved_as varchar(16),
    ADD COLUMN forwarded boolean NOT NULL DEFAULT false,
    ADD COLUMN moderation_note text NOT NULL DEFAULT '';
CREATE INDEX abuse_user_reports_resolved ON abuse_user_reports (resolved, id);

-- What moderators note about an account, seen only by them.
ALTER TABLE user_profiles ADD COLUMN moderation_note text NOT NULL DEFAULT '';
