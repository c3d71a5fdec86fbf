-- truncated_exec_count: how many execs had their command line cut (the argv checks).
SELECT count(*)::INT AS n FROM process WHERE kind = 'exec' AND argv_truncated
