-- connect_destinations: each connect's destinations in connect order — one row per host a
-- connection to an HTTP proxy asked for — with how each is named, the port asked for and
-- whether it is allowed (the proxy checks).
SELECT tool_call_id, event_id, addr, port, name, name_source, dest_port, allowed
FROM net_destinations
WHERE op = 'connect'
ORDER BY event_id, ts_ns, name
