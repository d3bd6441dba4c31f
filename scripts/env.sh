# Environment of the embedded Airflow: `source scripts/env.sh` to run `airflow ...` by hand against it.
# Everything lives under data/ (ignored): SQLite metadata, logs, the source and warehouse files.
# Variables already set in the environment win, so tests and CI can point elsewhere.
_recouvra_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export RECOUVRA_ROOT="$_recouvra_root"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$_recouvra_root/data/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$_recouvra_root/dags}"
export AIRFLOW__CORE__PLUGINS_FOLDER="${AIRFLOW__CORE__PLUGINS_FOLDER:-$_recouvra_root/plugins}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
# A 2-core laptop: few worker processes (the default 32 linger and starve the machine).
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
export AIRFLOW__CORE__DEFAULT_TIMEZONE="${AIRFLOW__CORE__DEFAULT_TIMEZONE:-Africa/Casablanca}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}"
export PATH="$_recouvra_root/.venv/bin:$PATH"
unset _recouvra_root
