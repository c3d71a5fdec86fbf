-- recording_name: the recording an analysed database holds (the first by name where it holds more).
SELECT min(recording) AS recording FROM recordings
