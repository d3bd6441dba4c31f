# Recouvra on the official Airflow image. The Python packages are requirements.txt, the project's exact
# pins, constrained by constraints.txt, the runtime's full freeze (the same files as the tested .venv:
# tests/unit/test_compose.py checks it), then the package itself without dependencies, so nothing can
# drift from the tested set.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/recouvra/
RUN pip install --no-cache-dir -r /opt/recouvra/requirements.txt -c /opt/recouvra/constraints.txt
COPY --chown=airflow:0 pyproject.toml README.md /opt/recouvra/
COPY --chown=airflow:0 include /opt/recouvra/include
COPY --chown=airflow:0 config /opt/recouvra/config
RUN pip install --no-cache-dir --no-deps -e /opt/recouvra
# DAGs and plugins baked in for production; docker-compose.yaml mounts the working copy over them.
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
ENV RECOUVRA_CONFIG=/opt/recouvra/config/recouvra.yaml
