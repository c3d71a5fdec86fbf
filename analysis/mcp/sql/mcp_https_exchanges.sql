-- mcp_https_exchanges: the HTTPS exchanges that may carry MCP, for https_messages.ts: every
-- exchange of a (process, host) that sent a JSON-RPC 2.0 request body at least once (a remote
-- MCP server: streamable HTTP or HTTP+SSE over TLS), with its bodies as text (null when not
-- UTF-8) and its server-sent events in order. The bodies of other hosts (downloads, pages)
-- are only looked at by DuckDB, never handed over; LLM API calls (`llm_call_id`), most of the
-- bytes, are not MCP and not even decoded.
WITH x AS (
  SELECT recording, exchange_id, pid, conn_id, host, method, path, status,
    request_headers::VARCHAR AS request_headers, response_headers::VARCHAR AS response_headers,
    try(decode(request_body)) AS request_text, request_content_type,
    response_content_type, streaming, gap, truncated, lost_bytes,
    CASE WHEN NOT streaming THEN try(decode(response_body)) END AS response_text,
    coalesce(request_end_ns, request_ns) AS request_ts,
    coalesce(response_end_ns, response_ns) AS response_ts
  FROM http_exchanges
  -- cleartext exchanges (conn_gen -1) are never MCP's: http_messages.ts reads MCP from `ipc`
  WHERE llm_call_id IS NULL AND conn_gen <> -1
),
mcp AS (
  SELECT DISTINCT recording, pid, host FROM x
  WHERE contains(request_text, '"jsonrpc"') AND regexp_matches(request_text, '^\s*[\[{]')
)
SELECT x.*,
  (SELECT list(struct_pack(type := e.type, data := e.data, ts_ns := e.ts_ns,
      incomplete := e.incomplete) ORDER BY e.event_index)
    FROM sse_events e
    WHERE e.recording = x.recording AND e.exchange_id = x.exchange_id) AS events
FROM x
JOIN mcp ON mcp.recording = x.recording AND mcp.pid = x.pid
  AND mcp.host IS NOT DISTINCT FROM x.host
ORDER BY x.recording, x.exchange_id;
