-- export_otlp_recording: the recording's name and host, the trace's resource (otlp.ts).
SELECT recording, host FROM recordings LIMIT 1
