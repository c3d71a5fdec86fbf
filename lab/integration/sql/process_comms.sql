-- process_comms: the command names process $pid went by (the Ollama checks).
SELECT DISTINCT comm FROM processes WHERE pid = $pid
