-- Quantities and money are scaled integers (value x 1,000,000) so that SQL can add them
-- exactly on both backends; ids are UUID text. See src/db/scaled.rs.
CREATE TABLE clinics (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    expiry_warning_days BIGINT NOT NULL DEFAULT 30,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    clinic_id TEXT REFERENCES clinics (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'practitioner', 'auditor')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_clinic ON staff (clinic_id);

CREATE TABLE suppliers (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    name TEXT NOT NULL,
    email TEXT,
    lead_time_days BIGINT NOT NULL CHECK (lead_time_days >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (clinic_id, name)
);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    ingredients TEXT NOT NULL,
    gtin TEXT,
    stock_unit TEXT NOT NULL CHECK (stock_unit IN ('ml', 'piece')),
    content BIGINT NOT NULL CHECK (content > 0),
    single_use BOOLEAN NOT NULL,
    beyond_use_days BIGINT,
    storage TEXT NOT NULL,
    reorder_point BIGINT NOT NULL CHECK (reorder_point >= 0),
    reorder_quantity BIGINT NOT NULL CHECK (reorder_quantity >= 0),
    supplier_id TEXT REFERENCES suppliers (id),
    unit_cost BIGINT NOT NULL CHECK (unit_cost >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (clinic_id, sku),
    UNIQUE (clinic_id, gtin)
);

CREATE TABLE lots (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    lot_number TEXT NOT NULL,
    expires_on DATE NOT NULL,
    supplier_id TEXT REFERENCES suppliers (id),
    containers BIGINT NOT NULL,
    received_quantity BIGINT NOT NULL,
    unit_cost BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('available', 'quarantined', 'recalled')),
    status_reason TEXT,
    on_hand BIGINT NOT NULL CHECK (on_hand >= 0),
    received_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (clinic_id, product_id, lot_number)
);
CREATE INDEX lots_product ON lots (clinic_id, product_id, expires_on);
CREATE INDEX lots_number ON lots (clinic_id, lot_number);

CREATE TABLE movements (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    lot_id TEXT NOT NULL REFERENCES lots (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    kind TEXT NOT NULL CHECK (kind IN ('receive', 'consume', 'waste', 'adjust', 'reversal')),
    quantity BIGINT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES staff (id),
    reason TEXT,
    session_id TEXT,
    reverses_id TEXT REFERENCES movements (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX movements_lot ON movements (clinic_id, lot_id, created_at);
CREATE INDEX movements_time ON movements (clinic_id, created_at);
CREATE INDEX movements_session ON movements (clinic_id, session_id);
