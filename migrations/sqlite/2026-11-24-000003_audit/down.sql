DROP TABLE audit_log;
DROP TABLE recall_contacts;
DROP TABLE recall_cases;
