-- The clinic's own pattern for patient codes; NULL means the built-in one.
ALTER TABLE clinics ADD COLUMN patient_code_pattern TEXT;
-- Why a session used a cocktail on an area it is not for.
ALTER TABLE sessions ADD COLUMN area_override_reason TEXT;
