-- A re-run of a day's additions replaces those of that day not yet published. Parameter: the day.
DELETE FROM core.dossier_addition WHERE added_on = ? AND file_name IS NULL
