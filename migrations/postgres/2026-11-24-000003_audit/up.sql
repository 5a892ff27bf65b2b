-- Recall cases (one per recalled lot) with a contact line per affected patient, and the
-- audit log of every change that is not a stock movement.
CREATE TABLE recall_cases (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    lot_id TEXT NOT NULL UNIQUE REFERENCES lots (id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_by TEXT NOT NULL REFERENCES staff (id),
    opened_at TIMESTAMP NOT NULL,
    closed_by TEXT REFERENCES staff (id),
    closed_at TIMESTAMP,
    closing_note TEXT
);
CREATE INDEX recall_cases_clinic ON recall_cases (clinic_id, opened_at);

CREATE TABLE recall_contacts (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    case_id TEXT NOT NULL REFERENCES recall_cases (id),
    patient_ref TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'contacted', 'unreachable', 'not_required')),
    note TEXT,
    updated_by TEXT REFERENCES staff (id),
    updated_at TIMESTAMP,
    UNIQUE (case_id, patient_ref)
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    clinic_id TEXT REFERENCES clinics (id),
    actor_id TEXT REFERENCES staff (id),
    at TIMESTAMP NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX audit_log_clinic ON audit_log (clinic_id, at);
CREATE INDEX audit_log_entity ON audit_log (clinic_id, entity, at);
