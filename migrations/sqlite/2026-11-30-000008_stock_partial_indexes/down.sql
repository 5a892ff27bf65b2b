DROP INDEX sessions_voided;
DROP INDEX movements_session_use;
DROP INDEX lots_in_stock;
