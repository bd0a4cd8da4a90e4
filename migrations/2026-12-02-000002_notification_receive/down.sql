DROP FUNCTION notification_wanted(varchar, varchar, varchar);
