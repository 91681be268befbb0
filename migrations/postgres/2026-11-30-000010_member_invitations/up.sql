-- A company admin invites a person by email; the person, once logged in with that email, accepts
-- or declines. Nobody becomes a member without consent, and the inviter learns nothing about
-- which emails have accounts. One pending invitation per company and email.
CREATE TABLE member_invitations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
    invited_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (company_id, email)
);
CREATE INDEX member_invitations_email ON member_invitations (email);
