-- The newest public notes that carry hashtags, for hashtag completion (hashtags/search).
CREATE INDEX notes_tagged_public ON notes (id) WHERE tags <> '{}' AND visibility = 'public';
