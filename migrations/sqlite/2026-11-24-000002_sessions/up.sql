-- Cocktails (versioned), contraindication rules, treatment sessions and what they used,
-- open multi-dose containers, and idempotency records.
CREATE TABLE formulations (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    current_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX formulations_clinic ON formulations (clinic_id);

-- A version is written once and never changed; editing a formulation adds a version.
CREATE TABLE formulation_versions (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    formulation_id TEXT NOT NULL REFERENCES formulations (id),
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    method TEXT NOT NULL,
    areas TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES staff (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (formulation_id, version)
);

CREATE TABLE formulation_components (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    version_id TEXT NOT NULL REFERENCES formulation_versions (id),
    position BIGINT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    amount BIGINT NOT NULL CHECK (amount > 0)
);
CREATE INDEX formulation_components_version ON formulation_components (version_id, position);

CREATE TABLE contraindication_rules (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    ingredient TEXT,
    product_id TEXT REFERENCES products (id),
    condition TEXT NOT NULL,
    message TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contraindication_rules_clinic ON contraindication_rules (clinic_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    patient_ref TEXT NOT NULL,
    practitioner_id TEXT NOT NULL REFERENCES staff (id),
    performed_at TIMESTAMP NOT NULL,
    area TEXT NOT NULL,
    method TEXT NOT NULL,
    formulation_id TEXT REFERENCES formulations (id),
    formulation_version BIGINT,
    conditions TEXT NOT NULL,
    contraindications TEXT NOT NULL,
    override_reason TEXT,
    status TEXT NOT NULL CHECK (status IN ('recorded', 'voided')),
    void_reason TEXT,
    voided_by TEXT REFERENCES staff (id),
    voided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_patient ON sessions (clinic_id, patient_ref, performed_at);
CREATE INDEX sessions_time ON sessions (clinic_id, performed_at);

-- One row per lot used per product in a session: what traceability exports.
CREATE TABLE session_usage (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    session_id TEXT NOT NULL REFERENCES sessions (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    lot_id TEXT NOT NULL REFERENCES lots (id),
    quantity BIGINT NOT NULL,
    wasted BIGINT NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX session_usage_session ON session_usage (session_id, position);
CREATE INDEX session_usage_lot ON session_usage (clinic_id, lot_id);

-- Planned (formulation) against actual amount per product, for the variance report.
CREATE TABLE session_lines (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    session_id TEXT NOT NULL REFERENCES sessions (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    planned BIGINT,
    actual BIGINT NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX session_lines_session ON session_lines (session_id, position);

-- A punctured multi-dose vial: its remaining volume is part of its lot's on_hand.
CREATE TABLE open_containers (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    lot_id TEXT NOT NULL REFERENCES lots (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    opened_at TIMESTAMP NOT NULL,
    beyond_use_at TIMESTAMP NOT NULL,
    remaining BIGINT NOT NULL CHECK (remaining >= 0),
    closed_at TIMESTAMP,
    opened_in_session TEXT REFERENCES sessions (id)
);
CREATE INDEX open_containers_product ON open_containers (clinic_id, product_id, closed_at);

CREATE TABLE idempotency_keys (
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    staff_id TEXT NOT NULL REFERENCES staff (id),
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (clinic_id, staff_id, idem_key)
);
