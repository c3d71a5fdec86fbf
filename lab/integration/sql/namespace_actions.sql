-- namespace_actions: every namespace a traced process entered (privilege rows of unshare, setns,
-- clone and clone3), in time order, with its link (the daemons check: `unshare -r -n` is its
-- tool call's).
SELECT a.pid, a.op, a.summary, a.ok, l.tool_call_id, l.attribution
FROM actions a
JOIN links l USING (recording, event_table, event_id)
WHERE a.event_table = 'privilege' AND a.op IN ('unshare', 'setns', 'clone', 'clone3')
ORDER BY a.ts_ns, a.event_id
