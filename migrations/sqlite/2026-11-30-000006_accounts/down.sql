DROP TABLE sign_in_failures;
DROP TABLE invitations;
DROP TABLE browser_sessions;
UPDATE staff SET token_hash = COALESCE(
    (SELECT t.token_hash FROM tokens t WHERE t.staff_id = staff.id AND t.revoked_at IS NULL
     ORDER BY t.created_at LIMIT 1),
    token_hash);
DROP TABLE tokens;
DROP INDEX staff_email;
ALTER TABLE staff DROP COLUMN password_hash;
ALTER TABLE staff DROP COLUMN active;
ALTER TABLE staff DROP COLUMN email;
