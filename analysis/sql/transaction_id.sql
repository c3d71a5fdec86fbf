-- transaction_id: the id of the transaction this statement runs in: the same for two statements
-- only inside a transaction the caller opened (each statement is its own transaction else).
SELECT txid_current() AS id
