-- file_writers: the processes (pid, agent role, command line) that wrote a file whose path
-- ends with $suffix (the end-to-end checks: the tee that wrote marker.txt).
SELECT f.pid, f.agent_role, p.argv
FROM file_events f JOIN processes p USING (recording, pid)
WHERE f.written AND ends_with(f.path, $suffix)
