DROP INDEX product_balances_swept;
