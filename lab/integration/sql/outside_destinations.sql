-- outside_destinations: the connects and DNS questions no allowlist entry or rule allows (the
-- sandbox checks: a sandbox's proxy bridge on its own loopback is not a destination), with the
-- port of the destination (through a proxy: the port asked of it).
SELECT op, addr, port, name, name_source, dest_port, pid, tool_call_id FROM net_destinations
WHERE NOT allowed
ORDER BY ts_ns, event_id
