-- column_set_not_null: adds a declared column's NOT NULL constraint once its table is built.
ALTER TABLE {{table}} ALTER COLUMN {{column}} SET NOT NULL
