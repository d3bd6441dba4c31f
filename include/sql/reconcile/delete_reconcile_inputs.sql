-- Remove every stored input (a full reconciliation writes them all again).
DELETE FROM core.reconcile_input
