-- A token that changes with every write to a clinic's products or contraindication rules,
-- so the stock views and sessions can keep that catalogue in memory and reload it only
-- when it changed (issue 12, `db::catalogue`). Random,
-- not a counter: two databases never share a token for different catalogues. Triggers,
-- so every writer (the service, the CLI, an import, a hand-made fix) moves it.
ALTER TABLE clinics ADD COLUMN catalog_version TEXT NOT NULL DEFAULT '';
UPDATE clinics SET catalog_version = md5(random()::text || clock_timestamp()::text);

CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE clinics SET catalog_version = md5(random()::text || clock_timestamp()::text)
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.clinic_id ELSE NEW.clinic_id END;
  RETURN NULL;
END
$$;

CREATE TRIGGER products_catalog_version AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION bump_catalog_version();

CREATE TRIGGER rules_catalog_version AFTER INSERT OR UPDATE OR DELETE ON contraindication_rules
  FOR EACH ROW EXECUTE FUNCTION bump_catalog_version();
