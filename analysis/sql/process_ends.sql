-- process_ends: how each traced process of $recording ended (its exit record), for the HTTP
-- build: an answer whose client process ended before it came to its end was left unread by
-- the client (interrupted, gave up), not cut by a loss of the recording (http_tables.ts).
-- `how` names a signal (1-15 by name, Linux numbering) or the exit code.
SELECT pid, ts_ns, comm,
  CASE
    WHEN coalesce(exit_signal, 0) > 0 THEN 'killed by ' || coalesce(
      ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE',
        'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM'][exit_signal],
      'signal ' || exit_signal)
    ELSE 'exit code ' || coalesce(exit_code::VARCHAR, '?')
  END AS how
FROM process
WHERE recording = $recording AND kind = 'exit'
ORDER BY pid, ts_ns
