-- Roles: named sets of policies, given by hand or by a condition on the account, some making
-- their holders moderators or administrators, some shown as badges.
CREATE TABLE roles (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL,
    name varchar(256) NOT NULL,
    description varchar(1024) NOT NULL DEFAULT '',
    color varchar(256),
    icon_url varchar(1024),
    target varchar(16) NOT NULL DEFAULT 'manual',
    cond_formula jsonb NOT NULL DEFAULT '{}',
    is_public boolean NOT NULL DEFAULT false,
    is_moderator boolean NOT NULL DEFAULT false,
    is_administrator boolean NOT NULL DEFAULT false,
    is_explorable boolean NOT NULL DEFAULT false,
    as_badge boolean NOT NULL DEFAULT false,
    preserve_assignment_on_move_account boolean NOT NULL DEFAULT false,
    can_edit_members_by_moderator boolean NOT NULL DEFAULT false,
    display_order integer NOT NULL DEFAULT 0,
    policies jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE role_assignments (
    id varchar(32) PRIMARY KEY,
    created_at timestamptz NOT NULL,
    role_id varchar(32) NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    user_id varchar(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz,
    memo varchar(256),
    UNIQUE (user_id, role_id)
);
CREATE INDEX role_assignments_role ON role_assignments (role_id, id);
