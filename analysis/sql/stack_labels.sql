-- stack_labels: the label of each recording `deno task sql` stacks (sql.ts), by its number i
-- (attached as r0, r1, ...): its name, or its path where two have the same name.
CREATE TEMP TABLE recording_labels (i INTEGER, label VARCHAR)
