-- stack_label: the label ($label) of the recording attached as number $i (sql.ts).
INSERT INTO recording_labels VALUES ($i, $label)
