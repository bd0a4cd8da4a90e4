ALTER TABLE user_profiles DROP COLUMN moderation_note;
DROP INDEX abuse_user_reports_resolved;
ALTER TABLE abuse_user_reports
    DROP COLUMN assignee_id,
    DROP COLUMN resolved_as,
    DROP COLUMN forwarded,
    DROP COLUMN moderation_note;
DROP TABLE moderation_logs;
