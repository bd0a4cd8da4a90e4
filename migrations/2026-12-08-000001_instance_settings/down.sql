ALTER TABLE meta
    DROP COLUMN prohibited_words, DROP COLUMN sensitive_words, DROP COLUMN prohibited_words_for_name_of_user,
    DROP COLUMN short_name, DROP COLUMN icon_url, DROP COLUMN app192_icon_url, DROP COLUMN app512_icon_url,
    DROP COLUMN banner_url, DROP COLUMN background_image_url, DROP COLUMN logo_image_url,
    DROP COLUMN mascot_image_url, DROP COLUMN server_error_image_url, DROP COLUMN info_image_url,
    DROP COLUMN not_found_image_url, DROP COLUMN theme_color, DROP COLUMN tos_url,
    DROP COLUMN privacy_policy_url, DROP COLUMN impressum_url, DROP COLUMN inquiry_url,
    DROP COLUMN repository_url, DROP COLUMN feedback_url, DROP COLUMN default_light_theme,
    DROP COLUMN default_dark_theme, DROP COLUMN server_rules, DROP COLUMN pinned_users,
    DROP COLUMN hidden_tags, DROP COLUMN preserved_usernames;
