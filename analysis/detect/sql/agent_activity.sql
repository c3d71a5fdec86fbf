-- agent_activity: where each session's wall-clock time went. Intervals per session: its LLM
-- calls in flight (model), its tool calls from the answer's end to the result's request
-- (tool), and its blocked spans from `file_sharing` (waited_for, contended). Each kind is
-- merged into a union of disjoint spans; busy is the union of model and tool time less the
-- blocked time, waiting the rest of the wall time.
INSERT INTO agent_activity
WITH -- the incarnations of the processes of sessions without an end, each holding from its start to
-- the next one's, as in `actions` (actions.sql), with how many its pid has
inc AS (
  SELECT recording, pid, start_ns, session_id,
    lead(start_ns, 1, 9223372036854775807) OVER (
      PARTITION BY recording, pid ORDER BY start_ns, session_id, role, branch_pid, branch_start_ns
    ) AS next_start_ns,
    count(*) OVER (PARTITION BY recording, pid) AS n
  FROM lineage
  QUALIFY (recording, session_id) IN (
    SELECT (recording, session_id) FROM sessions WHERE end_ns IS NULL
  )
),
-- every action's process and time (action_rows.sql: which raw rows are actions)
ev AS NOT MATERIALIZED (SELECT recording, pid, ts_ns FROM action_rows()),
iv AS (
  SELECT c.recording, c.pid AS session_id, 'model' AS kind, c.request_ns AS s,
    coalesce(c.end_ns, c.request_ns) AS e
  FROM llm_calls c WHERE c.request_ns IS NOT NULL
  UNION ALL
  SELECT t.recording, c.pid, 'tool', t.requested_ns, t.result_ns
  FROM tool_calls t
  JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
  WHERE t.requested_ns IS NOT NULL AND t.result_ns IS NOT NULL
  UNION ALL
  SELECT recording, session_id, 'blocked', first_ns, last_ns
  FROM file_sharing WHERE kind IN ('waited_for', 'contended')
),
all_iv AS (
  SELECT * FROM iv
  UNION ALL
  SELECT recording, session_id, 'active', s, e FROM iv WHERE kind IN ('model', 'tool', 'blocked')
),
ordered AS (
  SELECT *,
    CASE WHEN s <= max(e) OVER (
      PARTITION BY recording, session_id, kind ORDER BY s, e
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) THEN 0 ELSE 1 END AS starts
  FROM all_iv WHERE e >= s
),
grouped AS (
  SELECT *, sum(starts) OVER (PARTITION BY recording, session_id, kind ORDER BY s, e) AS g
  FROM ordered
),
merged AS (
  SELECT recording, session_id, kind, g, min(s) AS s, max(e) AS e FROM grouped GROUP BY ALL
),
totals AS (
  SELECT recording, session_id,
    sum(e - s) FILTER (WHERE kind = 'model') / 1e6 AS model_ms,
    sum(e - s) FILTER (WHERE kind = 'tool') / 1e6 AS tool_ms,
    sum(e - s) FILTER (WHERE kind = 'blocked') / 1e6 AS blocked_ms,
    sum(e - s) FILTER (WHERE kind = 'active') / 1e6 AS active_ms
  FROM merged GROUP BY ALL
),
-- the last event of each session's processes, for a session without an end: each pid's latest
-- event, kept when it is in the pid's one incarnation (the one it started by then); only a pid
-- with several incarnations has its events joined to the incarnations' ranges, as `actions`
-- does (joining every event through `actions` here was 1-6 s of CPU at 10M events, the most
-- of this step: reports/bench/analysis.md, session 35)
last_event AS (
  SELECT recording, session_id, max(last_ns) AS last_ns FROM (
    SELECT i.recording, i.session_id, p.last_ns
    FROM (SELECT recording, pid, max(ts_ns) AS last_ns FROM ev GROUP BY ALL) p
    JOIN inc i ON i.recording = p.recording AND i.pid = p.pid
    WHERE i.n = 1 AND p.last_ns >= i.start_ns
    UNION ALL
    SELECT i.recording, i.session_id, max(e.ts_ns)
    FROM ev e
    JOIN inc i ON i.recording = e.recording AND i.pid = e.pid AND e.ts_ns >= i.start_ns
      AND e.ts_ns < i.next_start_ns
    WHERE i.n > 1
    GROUP BY ALL
  )
  GROUP BY ALL
),
sharing AS (
  SELECT recording, session_id,
    count(*) FILTER (WHERE kind = 'waited_for') AS waits,
    coalesce(sum(attempts) FILTER (WHERE kind = 'contended'), 0) AS retries
  FROM file_sharing GROUP BY ALL
),
base AS (
  SELECT s.recording, s.session_id, s.agent,
    greatest(coalesce(s.end_ns, le.last_ns, s.start_ns) - s.start_ns, 0) / 1e6 AS wall_ms,
    coalesce(t.model_ms, 0) AS model_ms, coalesce(t.tool_ms, 0) AS tool_ms,
    coalesce(t.blocked_ms, 0) AS blocked_ms,
    greatest(coalesce(t.active_ms, 0) - coalesce(t.blocked_ms, 0), 0) AS busy_ms,
    coalesce(sh.waits, 0) AS waits, coalesce(sh.retries, 0) AS retries
  FROM sessions s
  LEFT JOIN totals t USING (recording, session_id)
  LEFT JOIN last_event le USING (recording, session_id)
  LEFT JOIN sharing sh USING (recording, session_id)
)
SELECT recording, session_id, agent, wall_ms, model_ms, tool_ms, blocked_ms, busy_ms,
  greatest(wall_ms - busy_ms - blocked_ms, 0),
  CASE WHEN wall_ms > 0 THEN blocked_ms / wall_ms ELSE 0 END,
  waits, retries
FROM base
ORDER BY recording, session_id;
