# shellcheck shell=bash
# The embedded scheduler's settings for short tasks, sourced by scripts/demo.sh and by the cycle
# benchmark's measure of Airflow's overhead (bench/bench_cycle.py), so both measure the same Airflow.
# Each keeps a value the caller's environment already set.
# A worker notices its task's end within a second, not five ([workers] min_heartbeat_interval: the
# supervisor's wait between checks), so the next task of the run starts about 4 s sooner.
export AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL="${AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL:-1}"
# The scheduler, when a loop found nothing to do, sleeps up to a second before looking again (the end of
# a task, a run to create from an asset event): a fifth of that here, at the cost of a few percent of a
# core while idle ([scheduler] scheduler_idle_sleep_time).
export AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="${AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME:-0.2}"
# The scheduler imports the tasks' libraries once, before it forks its workers: every task process
# starts with them loaded (plugins/airflow_local_settings.py; about 2 s a task on the 2-core machine).
export RECOUVRA_PRELOAD_TASK_MODULES="${RECOUVRA_PRELOAD_TASK_MODULES:-1}"
