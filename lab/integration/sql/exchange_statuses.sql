-- exchange_statuses: every HTTP exchange's path, status, WebSocket message count and response
-- headers (the end-to-end checks: Codex's WebSockets).
SELECT path, status, ws_messages, response_headers FROM http_exchanges
