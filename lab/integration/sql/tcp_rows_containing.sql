-- tcp_rows_containing: how many TCP rows' bytes, lowercased, contain $text (the MCP checks:
-- the Authorization header, masked).
SELECT count(*) AS n FROM ipc WHERE kind = 'tcp' AND contains(lower(data::VARCHAR), $text)
