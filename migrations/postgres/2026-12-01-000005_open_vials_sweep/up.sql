-- The open-vial sweep looks for open vials past their beyond-use time in every clinic.
CREATE INDEX open_containers_open ON open_containers (beyond_use_at) WHERE closed_at IS NULL;
