ALTER TABLE session_usage DROP COLUMN gs1_raw;
ALTER TABLE session_usage DROP COLUMN gs1_serial;
ALTER TABLE movements DROP COLUMN gs1_raw;
ALTER TABLE movements DROP COLUMN gs1_serial;
