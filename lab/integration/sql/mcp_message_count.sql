-- mcp_message_count: how many messages were read as MCP (the Ollama checks: none).
SELECT count(*) AS n FROM mcp_messages
