-- http_request_writers: the processes that wrote a POST request on a recorded TCP socket or
-- pipe (the cleartext checks: the agent's own process, not the model server).
SELECT DISTINCT pid FROM ipc WHERE direction = 'write' AND starts_with(decode(data), 'POST ')
