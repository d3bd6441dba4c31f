-- Drop the bridge work table once the bridge is written; no parameters.
DROP TABLE core.load_bridge
