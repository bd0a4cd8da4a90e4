-- Two-factor sign-in: the secret shown while registering (not yet in force) and the
-- single-use backup codes.
ALTER TABLE user_profiles
    ADD COLUMN two_factor_temp_secret varchar(128),
    ADD COLUMN two_factor_backup_secret varchar(128)[];
