ALTER TABLE user_profiles DROP COLUMN two_factor_last_step;
