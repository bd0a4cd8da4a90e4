// Diesel table definitions, matching migrations/ (checked by tests/db.rs against the live schema).

diesel::table! {
    meta (id) {
        id -> Varchar,
        name -> Nullable<Varchar>,
        description -> Nullable<Varchar>,
        maintainer_name -> Nullable<Varchar>,
        maintainer_email -> Nullable<Varchar>,
        lang_default -> Nullable<Varchar>,
        disable_registration -> Bool,
        root_user_id -> Nullable<Varchar>,
        setup_token_hash -> Nullable<Varchar>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        last_fetched_at -> Nullable<Timestamptz>,
        last_active_date -> Nullable<Timestamptz>,
        username -> Varchar,
        username_lower -> Varchar,
        host -> Nullable<Varchar>,
        name -> Nullable<Varchar>,
        followers_count -> Int4,
        following_count -> Int4,
        notes_count -> Int4,
        is_suspended -> Bool,
        is_locked -> Bool,
        is_bot -> Bool,
        is_cat -> Bool,
        is_root -> Bool,
        is_admin -> Bool,
        is_moderator -> Bool,
        is_system -> Bool,
        token -> Nullable<Bpchar>,
        uri -> Nullable<Varchar>,
        inbox -> Nullable<Varchar>,
        shared_inbox -> Nullable<Varchar>,
        followers_uri -> Nullable<Varchar>,
    }
}

diesel::table! {
    user_profiles (user_id) {
        user_id -> Varchar,
        password -> Nullable<Varchar>,
        email -> Nullable<Varchar>,
        email_verified -> Bool,
        description -> Nullable<Varchar>,
        location -> Nullable<Varchar>,
        birthday -> Nullable<Bpchar>,
        lang -> Nullable<Varchar>,
        url -> Nullable<Varchar>,
        fields -> Jsonb,
        two_factor_enabled -> Bool,
        two_factor_secret -> Nullable<Varchar>,
    }
}

diesel::table! {
    user_keypairs (user_id) {
        user_id -> Varchar,
        public_key -> Text,
        private_key -> Text,
    }
}

diesel::table! {
    access_tokens (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        token -> Varchar,
        user_id -> Varchar,
        app_id -> Nullable<Varchar>,
        name -> Nullable<Varchar>,
        description -> Nullable<Varchar>,
        icon_url -> Nullable<Varchar>,
        permission -> Array<Text>,
    }
}

diesel::joinable!(user_profiles -> users (user_id));
diesel::joinable!(user_keypairs -> users (user_id));
diesel::joinable!(access_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(meta, users, user_profiles, user_keypairs, access_tokens);
