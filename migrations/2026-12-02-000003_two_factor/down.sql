ALTER TABLE user_profiles DROP COLUMN two_factor_temp_secret, DROP COLUMN two_factor_backup_secret;
