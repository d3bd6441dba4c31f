# Recouvra on the official Airflow image: the same pins as requirements.txt, the package installed.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:0 requirements.txt /opt/recouvra/requirements.txt
RUN pip install --no-cache-dir -r /opt/recouvra/requirements.txt
COPY --chown=airflow:0 pyproject.toml README.md /opt/recouvra/
COPY --chown=airflow:0 include /opt/recouvra/include
COPY --chown=airflow:0 config /opt/recouvra/config
RUN pip install --no-cache-dir --no-deps -e /opt/recouvra
ENV RECOUVRA_CONFIG=/opt/recouvra/config/recouvra.yaml
