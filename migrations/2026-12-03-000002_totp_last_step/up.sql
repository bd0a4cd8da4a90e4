-- The time step of the last TOTP code that was accepted: a code is taken once, so one seen
-- over a shoulder or in a proxy log cannot be used again within its window.
ALTER TABLE user_profiles ADD COLUMN two_factor_last_step bigint;
