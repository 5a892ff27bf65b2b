ALTER TABLE courses DROP COLUMN maintenance_every_days;
