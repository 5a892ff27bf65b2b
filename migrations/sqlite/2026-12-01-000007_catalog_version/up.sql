-- A token that changes with every write to a clinic's products or contraindication rules,
-- so the stock views and sessions can keep that catalogue in memory and reload it only
-- when it changed (issue 12, `db::catalogue`). Random,
-- not a counter: two databases never share a token for different catalogues. Triggers,
-- so every writer (the service, the CLI, an import, a hand-made fix) moves it.
ALTER TABLE clinics ADD COLUMN catalog_version TEXT NOT NULL DEFAULT '';
UPDATE clinics SET catalog_version = lower(hex(randomblob(16)));

CREATE TRIGGER products_catalog_insert AFTER INSERT ON products BEGIN
  UPDATE clinics SET catalog_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER products_catalog_update AFTER UPDATE ON products BEGIN
  UPDATE clinics SET catalog_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER products_catalog_delete AFTER DELETE ON products BEGIN
  UPDATE clinics SET catalog_version = lower(hex(randomblob(16))) WHERE id = OLD.clinic_id;
END;
CREATE TRIGGER rules_catalog_insert AFTER INSERT ON contraindication_rules BEGIN
  UPDATE clinics SET catalog_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER rules_catalog_update AFTER UPDATE ON contraindication_rules BEGIN
  UPDATE clinics SET catalog_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER rules_catalog_delete AFTER DELETE ON contraindication_rules BEGIN
  UPDATE clinics SET catalog_version = lower(hex(randomblob(16))) WHERE id = OLD.clinic_id;
END;
