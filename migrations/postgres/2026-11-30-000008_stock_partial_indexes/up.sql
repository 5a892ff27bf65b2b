-- Issue 12, point 1: the stock views read only what can still matter.
-- Lots with stock, covering every column stock_by_product and usable_lots read, so
-- empty lots (most of a clinic's history) are never visited.
CREATE INDEX lots_in_stock ON lots (clinic_id, product_id, status, expires_on, on_hand)
    WHERE on_hand > 0;
-- The forecast's recent rate reads only session consumes and wastes in its window.
-- (`kind` is a key column, not in the WHERE: SQLite matches a partial index's IN term
-- poorly, and session movements are nearly all consumes and wastes anyway.)
CREATE INDEX movements_session_use ON movements (clinic_id, created_at, kind, product_id, session_id, quantity)
    WHERE session_id IS NOT NULL;
-- Voided sessions are few: PostgreSQL's anti-join for the rate's "not voided" test
-- reads this instead of scanning every session (SQLite probes the primary key).
CREATE INDEX sessions_voided ON sessions (id) WHERE status = 'voided';
