-- labels_kept: the observer's verdicts of the analysis being replaced (attached as `kept`),
-- into the new one's labels table, under the recording's name now (kept_labels.ts).
INSERT INTO labels BY NAME SELECT * REPLACE ($recording AS recording) FROM kept.labels
