DROP TABLE access_tokens;
DROP TABLE user_keypairs;
DROP TABLE user_profiles;
DROP TABLE users;
DROP TABLE meta;
