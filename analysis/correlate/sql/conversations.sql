-- conversations: one row per conversation of `llm_calls` (conversation_id), with its totals
-- (across its compactions and the processes that resumed it: `conversation_via`),
-- its prompt (the first main call's new user text) and the tool call that started it (a
-- sub-agent's task, as Claude Code's Agent/Task tool gives it): a tool call of another
-- conversation of the same process, asked for in the hour before this one's first request,
-- one of whose text arguments (12 characters or more) its prompt holds, and that was still
-- open when it began (its result not yet sent back: a sub-agent run in the foreground) or
-- whose text is at least half the prompt (one run in the background answers at once); of
-- those, the longest text, then the latest. A path a later prompt mentions is not a task.
-- The tool calls are met by one-hour buckets (each also in the next), so the matching stays
-- near linear however many conversations and tool calls one process has.
INSERT INTO conversations
WITH convs AS (
  SELECT recording, conversation_id,
    arg_min(pid, (request_ns, llm_call_id)) AS session_id,
    count(DISTINCT pid) AS processes,
    count(*) FILTER (WHERE conversation_via = 'summary') AS compactions,
    min(request_ns) AS start_ns, max(end_ns) AS end_ns,
    count(*) AS llm_calls,
    count(*) FILTER (WHERE kind = 'main') AS main_calls,
    count(*) FILTER (WHERE outcome = 'error' OR status >= 400) AS failed_calls,
    coalesce(sum(tool_call_count), 0) AS tool_calls,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    sum(cost_usd) AS cost_usd,
    first_prompt(user_input, kind, request_ns, llm_call_id) AS prompt -- (macros.sql)
  FROM llm_calls
  GROUP BY recording, conversation_id
),
tool_texts AS (
  SELECT t.recording, t.tool_call_id, c.conversation_id, c.pid, t.requested_ns, t.result_ns,
    j.value ->> '$' AS text
  FROM tool_calls t
  JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id,
    json_tree(CASE WHEN json_valid(t.input) THEN t.input END) j
  WHERE j.type = 'VARCHAR' AND length(j.value ->> '$') >= 12 AND t.requested_ns IS NOT NULL
),
bucketed AS (
  SELECT x.*, b.bucket
  FROM tool_texts x,
    unnest([x.requested_ns // 3600000000000, x.requested_ns // 3600000000000 + 1]) AS b(bucket)
),
-- A conversation and a tool call of its process in the hour before it began, in two disjoint
-- parts whose every condition is a comparison the hash join checks itself: the tool call still
-- open when it began (no result, or a later one), or else a text at least half the prompt's
-- length. Only the pairs left have their texts compared: an OR of the two, a filter above the
-- join, had every pair of the hour made first (25M at 10M events, about 1.8 s of CPU:
-- reports/bench/analysis.md, session 32).
pairs AS (
  SELECT v.recording, v.conversation_id, v.prompt, x.tool_call_id,
    x.conversation_id AS parent_conversation_id, x.requested_ns, x.text
  FROM convs v
  JOIN bucketed x ON x.recording = v.recording AND x.pid = v.session_id
    AND x.bucket = v.start_ns // 3600000000000
    AND x.conversation_id <> v.conversation_id
    AND x.requested_ns <= v.start_ns AND x.requested_ns >= v.start_ns - 3600000000000
    AND coalesce(x.result_ns, 9223372036854775807) >= v.start_ns
  UNION ALL
  SELECT v.recording, v.conversation_id, v.prompt, x.tool_call_id,
    x.conversation_id AS parent_conversation_id, x.requested_ns, x.text
  FROM convs v
  JOIN bucketed x ON x.recording = v.recording AND x.pid = v.session_id
    AND x.bucket = v.start_ns // 3600000000000
    AND x.conversation_id <> v.conversation_id
    AND x.requested_ns <= v.start_ns AND x.requested_ns >= v.start_ns - 3600000000000
    AND coalesce(x.result_ns, 9223372036854775807) < v.start_ns
    AND 2 * length(x.text) >= length(v.prompt)
),
parents AS (
  SELECT recording, conversation_id,
    arg_max(tool_call_id, (length(text), requested_ns, tool_call_id)) AS tool_call_id,
    arg_max(parent_conversation_id, (length(text), requested_ns, tool_call_id))
      AS parent_conversation_id
  FROM pairs
  WHERE contains(prompt, text)
  GROUP BY ALL
)
SELECT v.recording, v.conversation_id, v.session_id, v.processes, v.compactions, v.start_ns,
  v.end_ns, v.llm_calls,
  v.main_calls, v.failed_calls, v.tool_calls, v.input_tokens, v.output_tokens, v.cost_usd,
  v.prompt, p.tool_call_id, p.parent_conversation_id
FROM convs v
LEFT JOIN parents p ON p.recording = v.recording AND p.conversation_id = v.conversation_id
ORDER BY v.recording, v.conversation_id;
