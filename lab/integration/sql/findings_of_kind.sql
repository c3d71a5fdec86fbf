-- findings_of_kind: the findings of kind $kind (the Ollama checks: the exfiltration).
SELECT * FROM findings WHERE kind = $kind ORDER BY finding_id
