DROP INDEX following_notify;
