// Diesel table definitions, matching migrations/.

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
        policies -> Jsonb,
        prohibited_words -> Array<Text>,
        sensitive_words -> Array<Text>,
        prohibited_words_for_name_of_user -> Array<Text>,
        preserved_usernames -> Array<Text>,
        blocked_hosts -> Array<Text>,
        silenced_hosts -> Array<Text>,
        // The columns of looks and links (migration 2026-12-08-000001) are read and written as
        // one JSON object (`db::meta::settings`), which keeps this table within diesel's 32.
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
        avatar_url -> Nullable<Varchar>,
        banner_url -> Nullable<Varchar>,
        is_explorable -> Bool,
        hide_online_status -> Bool,
        emojis -> Array<Text>,
        url -> Nullable<Varchar>,
        featured_uri -> Nullable<Varchar>,
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
        two_factor_temp_secret -> Nullable<Varchar>,
        two_factor_backup_secret -> Nullable<Array<Varchar>>,
        pinned_note_ids -> Array<Text>,
        muted_words -> Jsonb,
        hard_muted_words -> Jsonb,
        muted_instances -> Jsonb,
        followed_message -> Nullable<Varchar>,
        public_reactions -> Bool,
        following_visibility -> Varchar,
        followers_visibility -> Varchar,
        auto_accept_followed -> Bool,
        careful_bot -> Bool,
        no_crawle -> Bool,
        prevent_ai_learning -> Bool,
        always_mark_nsfw -> Bool,
        auto_sensitive -> Bool,
        inject_featured_note -> Bool,
        receive_announcement_email -> Bool,
        notification_recieve_config -> Jsonb,
        email_notification_types -> Jsonb,
        // moderation_note (text) is read and written with SQL: diesel's tables stop at 32
        // columns here.
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
        session -> Nullable<Varchar>,
        hash -> Nullable<Varchar>,
        fetched -> Bool,
    }
}

diesel::table! {
    notes (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        user_id -> Varchar,
        user_host -> Nullable<Varchar>,
        reply_id -> Nullable<Varchar>,
        renote_id -> Nullable<Varchar>,
        reply_user_id -> Nullable<Varchar>,
        renote_user_id -> Nullable<Varchar>,
        thread_id -> Nullable<Varchar>,
        text -> Nullable<Text>,
        cw -> Nullable<Varchar>,
        visibility -> Varchar,
        local_only -> Bool,
        visible_user_ids -> Array<Text>,
        mentions -> Array<Text>,
        tags -> Array<Text>,
        emojis -> Array<Text>,
        file_ids -> Array<Text>,
        has_poll -> Bool,
        reaction_acceptance -> Nullable<Varchar>,
        reactions -> Jsonb,
        renote_count -> Int4,
        replies_count -> Int4,
        uri -> Nullable<Varchar>,
        url -> Nullable<Varchar>,
    }
}

diesel::table! {
    polls (note_id) {
        note_id -> Varchar,
        expires_at -> Nullable<Timestamptz>,
        multiple -> Bool,
        choices -> Array<Text>,
        votes -> Array<Int4>,
        ended_notified -> Bool,
    }
}

diesel::table! {
    poll_votes (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        user_id -> Varchar,
        note_id -> Varchar,
        choice -> Int4,
    }
}

diesel::table! {
    following (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        follower_id -> Varchar,
        followee_id -> Varchar,
        follower_host -> Nullable<Varchar>,
        followee_host -> Nullable<Varchar>,
        with_replies -> Bool,
        notify -> Nullable<Varchar>,
    }
}

diesel::table! {
    follow_requests (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        follower_id -> Varchar,
        followee_id -> Varchar,
        request_uri -> Nullable<Varchar>,
    }
}

diesel::table! {
    note_reactions (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        user_id -> Varchar,
        note_id -> Varchar,
        reaction -> Varchar,
    }
}

diesel::table! {
    note_favorites (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        user_id -> Varchar,
        note_id -> Varchar,
    }
}

diesel::table! {
    notifications (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        notifiee_id -> Varchar,
        notifier_id -> Nullable<Varchar>,
        #[sql_name = "type"]
        kind -> Varchar,
        note_id -> Nullable<Varchar>,
        reaction -> Nullable<Varchar>,
        message -> Nullable<Text>,
        is_read -> Bool,
        file_id -> Nullable<Varchar>,
        exported_entity -> Nullable<Varchar>,
        role_id -> Nullable<Varchar>,
    }
}

diesel::table! {
    mutings (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        muter_id -> Varchar,
        mutee_id -> Varchar,
    }
}

diesel::table! {
    renote_mutings (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        muter_id -> Varchar,
        mutee_id -> Varchar,
    }
}

diesel::table! {
    blockings (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        blocker_id -> Varchar,
        blockee_id -> Varchar,
    }
}

diesel::table! {
    user_lists (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        user_id -> Varchar,
        name -> Varchar,
        is_public -> Bool,
    }
}

diesel::table! {
    user_list_members (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        user_list_id -> Varchar,
        user_id -> Varchar,
        with_replies -> Bool,
    }
}

diesel::table! {
    apps (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        user_id -> Nullable<Varchar>,
        secret -> Varchar,
        name -> Varchar,
        description -> Varchar,
        permission -> Array<Text>,
        callback_url -> Nullable<Varchar>,
    }
}

diesel::table! {
    auth_sessions (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        token -> Varchar,
        user_id -> Nullable<Varchar>,
        app_id -> Varchar,
    }
}

diesel::table! {
    abuse_user_reports (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        target_user_id -> Varchar,
        reporter_id -> Varchar,
        comment -> Varchar,
        resolved -> Bool,
        assignee_id -> Nullable<Varchar>,
        resolved_as -> Nullable<Varchar>,
        forwarded -> Bool,
        moderation_note -> Text,
    }
}

diesel::table! {
    deleted_accounts (user_id) {
        user_id -> Varchar,
        requested_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    moderation_logs (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        user_id -> Varchar,
        #[sql_name = "type"]
        type_ -> Varchar,
        info -> Jsonb,
    }
}

diesel::table! {
    registration_tickets (id) {
        id -> Varchar,
        code -> Varchar,
        created_by_id -> Nullable<Varchar>,
        expires_at -> Nullable<Timestamptz>,
        used_by_id -> Nullable<Varchar>,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    user_publickeys (user_id) {
        user_id -> Varchar,
        key_id -> Varchar,
        key_pem -> Text,
    }
}

diesel::table! {
    instances (host) {
        host -> Varchar,
        first_seen_at -> Timestamptz,
        last_success_at -> Nullable<Timestamptz>,
        last_failure_at -> Nullable<Timestamptz>,
        consecutive_failures -> Int4,
        rests -> Int4,
        retry_after -> Nullable<Timestamptz>,
        software_name -> Nullable<Varchar>,
        software_version -> Nullable<Varchar>,
        open_registrations -> Nullable<Bool>,
        name -> Nullable<Varchar>,
        description -> Nullable<Varchar>,
        maintainer_name -> Nullable<Varchar>,
        maintainer_email -> Nullable<Varchar>,
        icon_url -> Nullable<Varchar>,
        theme_color -> Nullable<Varchar>,
        info_updated_at -> Nullable<Timestamptz>,
        latest_request_received_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    announcements (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        title -> Varchar,
        text -> Varchar,
        image_url -> Nullable<Varchar>,
        icon -> Varchar,
        display -> Varchar,
        need_confirmation_to_read -> Bool,
        silence -> Bool,
        for_existing_users -> Bool,
        is_active -> Bool,
        user_id -> Nullable<Varchar>,
    }
}

diesel::table! {
    announcement_reads (user_id, announcement_id) {
        announcement_id -> Varchar,
        user_id -> Varchar,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    roles (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        last_used_at -> Timestamptz,
        name -> Varchar,
        description -> Varchar,
        color -> Nullable<Varchar>,
        icon_url -> Nullable<Varchar>,
        target -> Varchar,
        cond_formula -> Jsonb,
        is_public -> Bool,
        is_moderator -> Bool,
        is_administrator -> Bool,
        is_explorable -> Bool,
        as_badge -> Bool,
        preserve_assignment_on_move_account -> Bool,
        can_edit_members_by_moderator -> Bool,
        display_order -> Int4,
        policies -> Jsonb,
    }
}

diesel::table! {
    role_assignments (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        role_id -> Varchar,
        user_id -> Varchar,
        expires_at -> Nullable<Timestamptz>,
        memo -> Nullable<Varchar>,
    }
}

diesel::joinable!(user_publickeys -> users (user_id));
diesel::joinable!(role_assignments -> users (user_id));
diesel::joinable!(role_assignments -> roles (role_id));
diesel::joinable!(user_profiles -> users (user_id));
diesel::joinable!(user_keypairs -> users (user_id));
diesel::joinable!(access_tokens -> users (user_id));
diesel::table! {
    drive_folders (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        name -> Varchar,
        user_id -> Varchar,
        parent_id -> Nullable<Varchar>,
    }
}

diesel::table! {
    drive_files (id) {
        id -> Varchar,
        created_at -> Timestamptz,
        user_id -> Nullable<Varchar>,
        user_host -> Nullable<Varchar>,
        md5 -> Varchar,
        name -> Varchar,
        #[sql_name = "type"]
        type_ -> Varchar,
        size -> Int8,
        comment -> Nullable<Varchar>,
        blurhash -> Nullable<Varchar>,
        properties -> Jsonb,
        url -> Varchar,
        thumbnail_url -> Nullable<Varchar>,
        webpublic_url -> Nullable<Varchar>,
        webpublic_type -> Nullable<Varchar>,
        access_key -> Nullable<Varchar>,
        thumbnail_access_key -> Nullable<Varchar>,
        webpublic_access_key -> Nullable<Varchar>,
        uri -> Nullable<Varchar>,
        src -> Nullable<Varchar>,
        folder_id -> Nullable<Varchar>,
        is_sensitive -> Bool,
        is_link -> Bool,
    }
}

diesel::table! {
    emojis (id) {
        id -> Varchar,
        updated_at -> Nullable<Timestamptz>,
        name -> Varchar,
        host -> Nullable<Varchar>,
        category -> Nullable<Varchar>,
        original_url -> Varchar,
        public_url -> Varchar,
        uri -> Nullable<Varchar>,
        #[sql_name = "type"]
        type_ -> Nullable<Varchar>,
        aliases -> Array<Text>,
        license -> Nullable<Varchar>,
        local_only -> Bool,
        is_sensitive -> Bool,
        role_ids_that_can_be_used_this_emoji_as_reaction -> Array<Text>,
    }
}

diesel::joinable!(notes -> users (user_id));
diesel::joinable!(user_list_members -> user_lists (user_list_id));
diesel::allow_tables_to_appear_in_same_query!(
    meta,
    users,
    user_profiles,
    user_keypairs,
    access_tokens,
    notes,
    polls,
    poll_votes,
    following,
    follow_requests,
    note_reactions,
    note_favorites,
    notifications,
    mutings,
    renote_mutings,
    blockings,
    user_lists,
    user_list_members,
    apps,
    auth_sessions,
    abuse_user_reports,
    registration_tickets,
    user_publickeys,
    instances,
    moderation_logs,
    deleted_accounts,
    drive_folders,
    drive_files,
    emojis,
    announcements,
    announcement_reads,
    roles,
    role_assignments,
);
