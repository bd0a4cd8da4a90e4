DROP TABLE deleted_accounts;
