-- listening_pids: process $pid, if it listened on a socket (the MCP checks: the server).
SELECT DISTINCT a.pid FROM actions a WHERE a.op = 'listen' AND a.pid = $pid
