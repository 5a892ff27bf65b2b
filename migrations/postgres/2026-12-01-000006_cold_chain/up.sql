-- Fridges and their range; temperatures are exact decimals stored × 10^6 like quantities.
CREATE TABLE fridges (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    name TEXT NOT NULL,
    min_celsius BIGINT NOT NULL,
    max_celsius BIGINT NOT NULL,
    tolerance_minutes BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (clinic_id, name),
    CHECK (min_celsius < max_celsius)
);

-- One reading per fridge and time: a logger's repeated reading is stored once.
CREATE TABLE fridge_readings (
    fridge_id TEXT NOT NULL REFERENCES fridges (id),
    at TIMESTAMP NOT NULL,
    celsius BIGINT NOT NULL,
    PRIMARY KEY (fridge_id, at)
);

-- Where each lot was kept, and from when to when (to_at NULL: it is there now).
CREATE TABLE lot_places (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    lot_id TEXT NOT NULL REFERENCES lots (id),
    fridge_id TEXT NOT NULL REFERENCES fridges (id),
    from_at TIMESTAMP NOT NULL,
    to_at TIMESTAMP,
    moved_by TEXT NOT NULL REFERENCES staff (id),
    reason TEXT
);
CREATE INDEX lot_places_lot ON lot_places (lot_id, from_at);
CREATE INDEX lot_places_fridge ON lot_places (fridge_id, from_at);

-- A run of readings outside the fridge's range that lasted longer than its tolerance.
CREATE TABLE excursions (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    fridge_id TEXT NOT NULL REFERENCES fridges (id),
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    min_celsius BIGINT NOT NULL,
    max_celsius BIGINT NOT NULL,
    UNIQUE (fridge_id, started_at)
);

-- The lots that were in the fridge during an excursion.
CREATE TABLE excursion_lots (
    excursion_id TEXT NOT NULL REFERENCES excursions (id),
    lot_id TEXT NOT NULL REFERENCES lots (id),
    PRIMARY KEY (excursion_id, lot_id)
);
CREATE INDEX excursion_lots_lot ON excursion_lots (lot_id);
