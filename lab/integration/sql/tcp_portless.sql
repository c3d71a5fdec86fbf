-- tcp_portless: TCP rows whose socket's ports were not recorded (the MCP checks: none).
SELECT pid, direction FROM ipc WHERE kind = 'tcp' AND (local_port = 0 OR remote_port = 0)
