-- Lets movements export pages start where the last one ended, like sessions_keyset.
CREATE INDEX movements_keyset ON movements (clinic_id, created_at, id);
