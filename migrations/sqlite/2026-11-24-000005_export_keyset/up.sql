-- Lets traceability export pages start where the last one ended instead of rescanning.
CREATE INDEX sessions_keyset ON sessions (clinic_id, performed_at, id);
