CREATE INDEX movements_session_use ON movements (clinic_id, created_at, kind, product_id, session_id, quantity)
    WHERE session_id IS NOT NULL;
CREATE INDEX sessions_voided ON sessions (id) WHERE status = 'voided';
DROP INDEX lots_usable;
DROP TABLE product_daily_use;
DROP TABLE product_balances;
