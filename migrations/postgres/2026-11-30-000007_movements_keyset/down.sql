DROP INDEX movements_keyset;
