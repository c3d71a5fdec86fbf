-- label_sessions: the sessions of an analysed recording, in the order they started.
SELECT recording, session_id FROM sessions ORDER BY start_ns, session_id;
