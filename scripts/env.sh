# Environment of the embedded Airflow: `source scripts/env.sh` to run `airflow ...` by hand against it.
# Everything lives under data/ (ignored): SQLite metadata, logs, the source and warehouse files.
# Variables already set in the environment win, so tests and CI can point elsewhere.
_recouvra_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export RECOUVRA_ROOT="$_recouvra_root"
# RECOUVRA_DATA_DIR (relative to the project, default data) moves every file of the embedded default at
# once: `make demo SCALE=M` keeps its source, lake, warehouse, SFTP homes and Airflow under data/scale-M,
# beside the demo's scale S, so the two never mix.
if [ -n "${RECOUVRA_DATA_DIR:-}" ] && [ "$RECOUVRA_DATA_DIR" != data ]; then
  export RECOUVRA__STORAGE__SOURCE_URL="${RECOUVRA__STORAGE__SOURCE_URL:-sqlite:///$RECOUVRA_DATA_DIR/source.db}"
  export RECOUVRA__STORAGE__WAREHOUSE_URL="${RECOUVRA__STORAGE__WAREHOUSE_URL:-duckdb:///$RECOUVRA_DATA_DIR/warehouse.duckdb}"
  export RECOUVRA__STORAGE__LAKE_DIR="${RECOUVRA__STORAGE__LAKE_DIR:-$RECOUVRA_DATA_DIR/lake}"
  export RECOUVRA__STORAGE__TRUTH_DIR="${RECOUVRA__STORAGE__TRUTH_DIR:-$RECOUVRA_DATA_DIR/truth}"
  export RECOUVRA__STORAGE__REPORTS_DIR="${RECOUVRA__STORAGE__REPORTS_DIR:-$RECOUVRA_DATA_DIR/reports}"
  export RECOUVRA__STORAGE__BI_DIR="${RECOUVRA__STORAGE__BI_DIR:-$RECOUVRA_DATA_DIR/bi}"
  export RECOUVRA__STORAGE__SFTP_ROOT="${RECOUVRA__STORAGE__SFTP_ROOT:-$RECOUVRA_DATA_DIR/sftp}"
  export RECOUVRA__STORAGE__MATCH_CACHE_DIR="${RECOUVRA__STORAGE__MATCH_CACHE_DIR:-$RECOUVRA_DATA_DIR/match_cache}"
fi
case "${RECOUVRA_DATA_DIR:-data}" in
  /*) export AIRFLOW_HOME="${AIRFLOW_HOME:-$RECOUVRA_DATA_DIR/airflow}" ;;
  *) export AIRFLOW_HOME="${AIRFLOW_HOME:-$_recouvra_root/${RECOUVRA_DATA_DIR:-data}/airflow}" ;;
esac
# Compiled modules are cached (the Makefile's `unexport PYTHONDONTWRITEBYTECODE` says why): the same for a
# shell that sources this file.
unset PYTHONDONTWRITEBYTECODE
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$_recouvra_root/dags}"
export AIRFLOW__CORE__PLUGINS_FOLDER="${AIRFLOW__CORE__PLUGINS_FOLDER:-$_recouvra_root/plugins}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
# A 2-core laptop: few worker processes (the default 32 linger and starve the machine).
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
export AIRFLOW__CORE__DEFAULT_TIMEZONE="${AIRFLOW__CORE__DEFAULT_TIMEZONE:-Africa/Casablanca}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}"
# Lineage (the OpenLineage provider, docs/runbook.md "Lineage"): each task's inputs and outputs (its
# inlets and outlets, recouvra.airflow_adapter.assets) as OpenLineage events, one JSON a line, in
# <data>/lineage/events.jsonl beside AIRFLOW_HOME. Sent from a thread of the task that waits at most
# execution_timeout seconds, so lineage never fails nor holds a task. Set AIRFLOW__OPENLINEAGE__TRANSPORT
# to a lineage server (Marquez: {"type": "http", "url": ...}), or AIRFLOW__OPENLINEAGE__DISABLED=True.
if [ -z "${AIRFLOW__OPENLINEAGE__TRANSPORT:-}" ]; then
  export RECOUVRA_LINEAGE_DIR="${RECOUVRA_LINEAGE_DIR:-$(dirname "$AIRFLOW_HOME")/lineage}"
  mkdir -p "$RECOUVRA_LINEAGE_DIR" 2>/dev/null || true
  export AIRFLOW__OPENLINEAGE__TRANSPORT="{\"type\": \"file\", \"log_file_path\": \"$RECOUVRA_LINEAGE_DIR/events.jsonl\", \"append\": true}"
fi
export AIRFLOW__OPENLINEAGE__NAMESPACE="${AIRFLOW__OPENLINEAGE__NAMESPACE:-recouvra}"
export AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD="${AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD:-True}"
export AIRFLOW__OPENLINEAGE__EXECUTION_TIMEOUT="${AIRFLOW__OPENLINEAGE__EXECUTION_TIMEOUT:-5}"
export AIRFLOW__OPENLINEAGE__CUSTOM_RUN_FACETS="${AIRFLOW__OPENLINEAGE__CUSTOM_RUN_FACETS:-recouvra.airflow_adapter.lineage.month_facet}"
# Metrics (docs/runbook.md "Metrics"): Airflow's StatsD metrics (dagrun.*, ti.*, task.duration,
# scheduler.*) as UDP datagrams to 127.0.0.1:8125, fire and forget: nothing listens unless you do
# (`python -m recouvra.operations metrics` prints them); compose sends them to its statsd-exporter.
export AIRFLOW__METRICS__STATSD_ON="${AIRFLOW__METRICS__STATSD_ON:-True}"
export AIRFLOW__METRICS__STATSD_HOST="${AIRFLOW__METRICS__STATSD_HOST:-127.0.0.1}"
export AIRFLOW__METRICS__STATSD_PORT="${AIRFLOW__METRICS__STATSD_PORT:-8125}"
export AIRFLOW__METRICS__STATSD_PREFIX="${AIRFLOW__METRICS__STATSD_PREFIX:-airflow}"
export PATH="$_recouvra_root/.venv/bin:$PATH"
unset _recouvra_root
