-- problems_said: the problems already said, to add none twice.
SELECT recording, source, kind, message FROM problems
