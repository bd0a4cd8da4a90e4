-- Whether a notification of type $3 from $2 (NULL: from nobody in particular) reaches $1,
-- by $1's notificationRecieveConfig for that type: all (no entry), never, following, follower,
-- mutualFollow, followingOrFollower, or list (the notifier is a member of $1's list userListId).
-- Mutes and blocks are checked where notifications are stored.
CREATE FUNCTION notification_wanted(varchar, varchar, varchar) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN c ->> 'type' = 'never' THEN false
        WHEN $2 IS NULL OR c IS NULL THEN true
        WHEN c ->> 'type' = 'following' THEN
            EXISTS (SELECT 1 FROM following WHERE follower_id = $1 AND followee_id = $2)
        WHEN c ->> 'type' = 'follower' THEN
            EXISTS (SELECT 1 FROM following WHERE follower_id = $2 AND followee_id = $1)
        WHEN c ->> 'type' = 'mutualFollow' THEN
            EXISTS (SELECT 1 FROM following WHERE follower_id = $1 AND followee_id = $2)
            AND EXISTS (SELECT 1 FROM following WHERE follower_id = $2 AND followee_id = $1)
        WHEN c ->> 'type' = 'followingOrFollower' THEN
            EXISTS (SELECT 1 FROM following WHERE follower_id = $1 AND followee_id = $2)
            OR EXISTS (SELECT 1 FROM following WHERE follower_id = $2 AND followee_id = $1)
        WHEN c ->> 'type' = 'list' THEN
            EXISTS (SELECT 1 FROM user_list_members m JOIN user_lists l ON l.id = m.user_list_id
                    WHERE l.id = c ->> 'userListId' AND l.user_id = $1 AND m.user_id = $2)
        ELSE true
    END
    FROM (SELECT (SELECT notification_recieve_config -> $3 FROM user_profiles WHERE user_id = $1) AS c) AS cfg
$$;
