-- otlp_problems: what the recording's analysis could not read or parse cleanly (files cut short,
-- a capture that did not end cleanly, bytes lost): each is an event on every session span.
SELECT source, kind, message FROM problems ORDER BY kind, source, message
