ALTER TABLE purchase_orders DROP COLUMN cancel_reason;
ALTER TABLE suppliers DROP COLUMN archived;
ALTER TABLE products DROP COLUMN archived;
