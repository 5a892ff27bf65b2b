-- People sign in: an email and a password per person, many named bearer tokens, browser
-- sessions, one-time invitations, and failed sign-ins for the rate limit.
ALTER TABLE staff ADD COLUMN email TEXT;
ALTER TABLE staff ADD COLUMN active BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE staff ADD COLUMN password_hash TEXT;
-- Emails are stored trimmed and lower-cased, so this makes them unique case-insensitively.
CREATE UNIQUE INDEX staff_email ON staff (email);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff (id),
    name TEXT NOT NULL,
    -- The first characters of the secret, so a person can tell their tokens apart.
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX tokens_staff ON tokens (staff_id);

-- Each staff member's one token becomes the first of their tokens. staff.token_hash stays
-- (SQLite cannot drop a UNIQUE column in place) but authenticates nothing any more.
INSERT INTO tokens (id, staff_id, name, prefix, token_hash, created_at)
    SELECT id, id, 'first token', 'msl_', token_hash, created_at FROM staff;
UPDATE staff SET token_hash = 'moved:' || id;

CREATE TABLE browser_sessions (
    -- SHA-256 of the cookie's random value; the value itself is never stored.
    id_hash TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff (id),
    csrf_token TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX browser_sessions_staff ON browser_sessions (staff_id);

CREATE TABLE invitations (
    code_hash TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff (id),
    created_by TEXT REFERENCES staff (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX invitations_staff ON invitations (staff_id);

CREATE TABLE sign_in_failures (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at);
CREATE INDEX sign_in_failures_addr ON sign_in_failures (client_addr, at);
