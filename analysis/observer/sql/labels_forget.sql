-- labels_forget: the verdict model $model gave earlier on session $session of recording
-- $recording, removed before its new one is added (label.ts).
DELETE FROM labels WHERE recording = $recording AND session_id = $session AND model = $model
