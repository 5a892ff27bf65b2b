-- Archived products and suppliers leave the pickers, suggestions and forecast; their
-- history stays (nothing is deleted).
ALTER TABLE products ADD COLUMN archived BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE suppliers ADD COLUMN archived BOOLEAN NOT NULL DEFAULT FALSE;
-- Why a purchase order was cancelled.
ALTER TABLE purchase_orders ADD COLUMN cancel_reason TEXT;
