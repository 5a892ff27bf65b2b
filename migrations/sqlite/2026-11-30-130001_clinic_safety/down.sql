ALTER TABLE sessions DROP COLUMN area_override_reason;
ALTER TABLE clinics DROP COLUMN patient_code_pattern;
