-- tcp_ends: which process (of $pids, their numbers as text) recorded which direction of a
-- TCP connection with a port, and the process at its other end (the MCP checks over HTTP).
SELECT DISTINCT pid, peer_pid, direction FROM ipc
WHERE kind = 'tcp' AND remote_port IS NOT NULL AND list_contains($pids::BIGINT[], pid)
