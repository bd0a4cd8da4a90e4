-- Suspended accounts are left out of every list for every viewer; the lists read them on each
-- page, and they are few, so only they are indexed.
CREATE INDEX users_suspended ON users (id) WHERE is_suspended;
