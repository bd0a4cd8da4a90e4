-- Followers who asked to be told about each new note of a followee (notify = 'normal') are
-- looked up on every note; most follows ask nothing, so only those that do are indexed.
CREATE INDEX following_notify ON following (followee_id) WHERE notify IS NOT NULL;
