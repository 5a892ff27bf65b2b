-- Issue 12, point 1: the stock views read one row per product instead of every lot, and
-- the forecast's recent rate one row per product and day instead of every movement.

-- Each product's stock, kept by the ledger's one writer (db::lots) in the same
-- transaction as every change of a lot's balance or status. `expired` and `available`
-- are split at `swept_on`: lots expiring before it count as expired. The first reader of
-- a new day rebuilds the clinic's rows for that day (db::balances::sweep).
-- `next_expiry` is the first expiry of an available, unexpired lot with stock; it only
-- moves earlier on its own, so when the lot holding it empties or leaves `available`
-- the row is marked `next_stale` and readers look it up until the next sweep.
CREATE TABLE product_balances (
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    on_hand BIGINT NOT NULL,
    available BIGINT NOT NULL,
    expired BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    recalled BIGINT NOT NULL,
    next_expiry DATE,
    next_stale BOOLEAN NOT NULL,
    swept_on DATE NOT NULL,
    -- What sessions outside courses used since `use_since` (the forecast's 30-day
    -- window as of `swept_on`), kept with product_daily_use below.
    recent_use BIGINT NOT NULL DEFAULT 0,
    use_since DATE NOT NULL,
    PRIMARY KEY (clinic_id, product_id)
) WITHOUT ROWID;

INSERT INTO product_balances
    (clinic_id, product_id, on_hand, available, expired, quarantined, recalled, next_expiry,
     next_stale, swept_on, use_since)
SELECT p.clinic_id, p.id,
       COALESCE(SUM(l.on_hand), 0),
       COALESCE(SUM(CASE WHEN l.status = 'available' AND l.expires_on >= date('now') THEN l.on_hand ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN l.expires_on < date('now') THEN l.on_hand ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN l.status = 'quarantined' THEN l.on_hand ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN l.status = 'recalled' THEN l.on_hand ELSE 0 END), 0),
       MIN(CASE WHEN l.status = 'available' AND l.expires_on >= date('now') THEN l.expires_on END),
       0,
       date('now'),
       date('now', '-30 days')
FROM products p
LEFT JOIN lots l ON l.clinic_id = p.clinic_id AND l.product_id = p.id AND l.on_hand > 0
GROUP BY p.clinic_id, p.id;

-- What sessions outside treatment courses consumed and wasted, per product and UTC day
-- of the movement: the forecast's recent rate. Kept when a session is logged and when
-- it is voided (services::sessions).
CREATE TABLE product_daily_use (
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    day DATE NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, day, product_id)
) WITHOUT ROWID;

INSERT INTO product_daily_use
SELECT m.clinic_id, m.product_id, date(m.created_at), SUM(-m.quantity)
FROM movements m
WHERE m.kind IN ('consume', 'waste') AND m.session_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM course_sessions cs WHERE cs.session_id = m.session_id)
  AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = m.session_id AND s.status = 'voided')
GROUP BY m.clinic_id, m.product_id, date(m.created_at);

UPDATE product_balances SET recent_use = COALESCE((SELECT SUM(u.quantity) FROM product_daily_use u
    WHERE u.clinic_id = product_balances.clinic_id AND u.product_id = product_balances.product_id
      AND u.day >= product_balances.use_since), 0);

-- The forecast's usable lots within its horizon, read by expiry across all products.
CREATE INDEX lots_usable ON lots (clinic_id, expires_on, product_id, on_hand)
    WHERE on_hand > 0 AND status = 'available';

-- The rate no longer reads movements or sessions (000008 added these for it); one less
-- index to write on every movement.
DROP INDEX movements_session_use;
DROP INDEX sessions_voided;
