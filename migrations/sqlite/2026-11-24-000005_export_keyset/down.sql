DROP INDEX sessions_keyset;
