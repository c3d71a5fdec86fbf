-- conversations_in_order: every conversation of the recording, in order (the sub-agent checks).
SELECT * FROM conversations ORDER BY conversation_id
