-- Every stock view first asks whether some balance of the clinic was last swept before
-- today (`balances::sweep`); without this index that question read all of the clinic's
-- rows. Only a sweep moves swept_on, so the index costs sessions nothing.
CREATE INDEX product_balances_swept ON product_balances (clinic_id, swept_on);
