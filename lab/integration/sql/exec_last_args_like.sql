-- exec_last_args_like: the last argument of each exec whose last argument is LIKE $pattern
-- (the end-to-end checks: Codex's shell snapshot, each command run inside it).
SELECT argv[len(argv)] AS script FROM process
WHERE kind = 'exec' AND argv[len(argv)] LIKE $pattern
