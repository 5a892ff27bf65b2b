-- The serial (AI 21) and the code as scanned, kept with the stock a scanned code received
-- or used, for traceability. NULL when the stock was entered without a scan.
ALTER TABLE movements ADD COLUMN gs1_serial TEXT;
ALTER TABLE movements ADD COLUMN gs1_raw TEXT;
ALTER TABLE session_usage ADD COLUMN gs1_serial TEXT;
ALTER TABLE session_usage ADD COLUMN gs1_raw TEXT;
