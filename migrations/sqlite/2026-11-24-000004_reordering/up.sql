-- Planned treatment courses (they drive the forecast) and purchase orders.
CREATE TABLE courses (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    patient_ref TEXT NOT NULL,
    formulation_id TEXT NOT NULL REFERENCES formulations (id),
    area TEXT NOT NULL,
    start_on DATE NOT NULL,
    sessions BIGINT NOT NULL,
    interval_days BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'completed', 'cancelled')),
    created_by TEXT NOT NULL REFERENCES staff (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX courses_patient ON courses (clinic_id, patient_ref, formulation_id, status);

CREATE TABLE course_sessions (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    course_id TEXT NOT NULL REFERENCES courses (id),
    seq BIGINT NOT NULL,
    planned_on DATE NOT NULL,
    session_id TEXT REFERENCES sessions (id),
    UNIQUE (course_id, seq)
);
CREATE INDEX course_sessions_planned ON course_sessions (clinic_id, planned_on);
CREATE INDEX course_sessions_session ON course_sessions (session_id);

CREATE TABLE purchase_orders (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    supplier_id TEXT NOT NULL REFERENCES suppliers (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'partially_received', 'received', 'cancelled')),
    created_by TEXT NOT NULL REFERENCES staff (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX purchase_orders_clinic ON purchase_orders (clinic_id, status);

CREATE TABLE purchase_order_lines (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    order_id TEXT NOT NULL REFERENCES purchase_orders (id),
    position BIGINT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    containers BIGINT NOT NULL CHECK (containers > 0),
    unit_cost BIGINT NOT NULL,
    received_containers BIGINT NOT NULL,
    reason TEXT
);
CREATE INDEX purchase_order_lines_order ON purchase_order_lines (order_id, position);
