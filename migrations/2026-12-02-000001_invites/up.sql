-- Invitation codes: what signup asks for while registration is closed.
CREATE TABLE registration_tickets (
    id varchar(32) PRIMARY KEY,
    code varchar(64) NOT NULL UNIQUE,
    -- NULL once the creator's account is gone; codes an administrator made outlive nobody.
    created_by_id varchar(32) REFERENCES users (id) ON DELETE SET NULL,
    expires_at timestamptz,
    used_by_id varchar(32) REFERENCES users (id) ON DELETE SET NULL,
    used_at timestamptz
);
-- invite/list and the per-cycle count of invite/create and invite/limit.
CREATE INDEX registration_tickets_created_by ON registration_tickets (created_by_id, id);
