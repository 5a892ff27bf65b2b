DROP TRIGGER rules_catalog_delete;
DROP TRIGGER rules_catalog_update;
DROP TRIGGER rules_catalog_insert;
DROP TRIGGER products_catalog_delete;
DROP TRIGGER products_catalog_update;
DROP TRIGGER products_catalog_insert;
ALTER TABLE clinics DROP COLUMN catalog_version;
