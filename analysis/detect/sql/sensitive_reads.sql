-- sensitive_reads: every open of a path matching `sensitive_patterns` by a session's
-- processes (the most severe pattern wins; of equally severe ones the longest, then the first
-- in text order: `**/id_rsa` before `~/.ssh/**`), with the tool call that asked for it,
-- whether the tool call's input or the process's argv names the path, and whether the
-- pattern's scope counts it: `tools` counts tool-linked and unexplained reads and those of a
-- configured MCP server outside its calls (`mcp_server`: third-party code), `all` the agent's
-- own too, `named` only named ones (libc reads /etc/passwd for every user-name lookup). Opens
-- are first screened by the paths `sensitive_opened.sql` keeps (run just before this).
-- `~/` is /root, /home/* and the homes the recording shows elsewhere (home_patterns in
-- detect_macros.sql), each path matched with the patterns of its own recording.
INSERT INTO sensitive_reads
WITH homed AS (FROM home_patterns() WHERE kind = 'sensitive'),
-- the screened opens, held before their links are joined (else every open's link is joined
-- first and the screen applied after)
screened_opens AS MATERIALIZED (
  SELECT a.recording, a.event_table, a.event_id, a.ts_ns, a.session_id, a.pid, a.proc_start_ns,
    a.path, a.ok
  FROM actions a
  JOIN sensitive_opened s ON s.path = a.path
  WHERE a.event_table = 'file' AND a.op = 'open' AND a.session_id IS NOT NULL
),
opens AS (
  SELECT a.recording, a.event_id, a.ts_ns, a.session_id, a.pid, a.proc_start_ns, a.path, a.ok,
    l.attribution, l.tool_call_id
  FROM screened_opens a
  JOIN links l USING (recording, event_table, event_id)
),
path_patterns AS (
  -- each path opened, with its pattern (the rule above): the regexes compiled per distinct
  -- path, not per open
  SELECT o.recording, o.path, p.pattern, p.severity, p.scope, p.label
  FROM (SELECT DISTINCT recording, path FROM opens) o
  JOIN (
    SELECT NULL::VARCHAR AS recording, pattern, regex, severity, scope, label, NULL AS dir
    FROM sensitive_patterns
    UNION ALL
    SELECT recording, pattern, regex, severity, scope, label, dir FROM homed
  ) p ON coalesce(p.recording, o.recording) = o.recording
    AND (p.dir IS NULL OR starts_with(o.path, p.dir || '/')) AND regexp_matches(o.path, p.regex)
  QUALIFY row_number() OVER (
    PARTITION BY o.recording, o.path
    ORDER BY list_position(['info', 'low', 'medium', 'high', 'critical'], p.severity) DESC,
      length(p.pattern) DESC, p.pattern, p.label, p.scope
  ) = 1
),
matched AS (
  SELECT o.*, p.pattern, p.severity, p.scope, p.label
  FROM opens o
  JOIN path_patterns p USING (recording, path)
),
args AS (
  -- each argument of a process's execs once, with the first time it was given (a process that
  -- re-executes itself gives the same ones again)
  SELECT recording, pid, proc_start_ns, arg, min(ts_ns) AS ts_ns
  FROM (
    SELECT recording, pid, proc_start_ns, ts_ns, unnest(argv[2:]) AS arg
    FROM actions
    WHERE op = 'exec' AND session_id IS NOT NULL
  )
  GROUP BY ALL
),
named_by_args AS (
  -- each path a process read, with the first time one of its execs' arguments named it:
  -- distinct paths against distinct arguments, not every read against every exec's arguments
  -- (work growing with the square of a process's execs and reads)
  SELECT p.recording, p.pid, p.proc_start_ns, p.path, min(x.ts_ns) AS named_ns
  FROM (SELECT DISTINCT recording, pid, proc_start_ns, path FROM matched) p
  JOIN args x
    ON x.recording = p.recording AND x.pid = p.pid AND x.proc_start_ns = p.proc_start_ns
  WHERE contains(x.arg, p.path) OR (contains(x.arg, '/') AND ends_with(p.path,
    '/' || regexp_replace(regexp_replace(x.arg, '^@', ''), '^(\.\./|\./)+', '')))
  GROUP BY ALL
),
named AS (
  SELECT m.*,
    EXISTS (
      SELECT 1 FROM tool_terms t
      WHERE t.recording = m.recording AND t.tool_call_id = m.tool_call_id AND t.kind = 'path'
        AND (t.term = m.path OR ends_with(m.path, t.suffix))
    ) OR coalesce(m.ts_ns >= n.named_ns, false) AS named
  FROM matched m
  LEFT JOIN named_by_args n
    ON n.recording = m.recording AND n.pid = m.pid AND n.proc_start_ns = m.proc_start_ns
    AND n.path = m.path
)
SELECT recording, event_id, ts_ns, session_id, pid, path, ok, attribution, tool_call_id,
  pattern, severity, label, named,
  CASE scope
    WHEN 'all' THEN attribution IN ('tool', 'unexplained', 'mcp_server', 'agent')
    WHEN 'named' THEN attribution IN ('tool', 'unexplained', 'mcp_server', 'agent') AND named
    ELSE attribution IN ('tool', 'unexplained', 'mcp_server')
  END AS counted
FROM named
ORDER BY recording, ts_ns, event_id;
