DROP TRIGGER rules_catalog_version ON contraindication_rules;
DROP TRIGGER products_catalog_version ON products;
DROP FUNCTION bump_catalog_version();
ALTER TABLE clinics DROP COLUMN catalog_version;
