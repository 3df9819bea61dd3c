# Production image: Airflow 3.3.2 on Python 3.11 with the collections package.

# The Collections pages' front end (ECharts, the dashboard's React widget), built from the lock file.
FROM node:20-bookworm-slim AS web
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY plugins/collections/ui/web/ plugins/collections/ui/web/
RUN npm run build

FROM apache/airflow:3.3.2-python3.11

# A font with Chinese glyphs for the letters' PDFs (delivery/letters.py).
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*
USER airflow

COPY --chown=airflow:0 requirements.txt constraints.txt pyproject.toml /opt/airflow/src/
COPY --chown=airflow:0 plugins/ /opt/airflow/src/plugins/
COPY --from=web --chown=airflow:0 /src/plugins/collections/ui/static/ /opt/airflow/src/plugins/collections/ui/static/
RUN pip install --no-cache-dir -r /opt/airflow/src/requirements.txt -c /opt/airflow/src/constraints.txt \
 && pip install --no-cache-dir --no-deps /opt/airflow/src

COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --from=web --chown=airflow:0 /src/plugins/collections/ui/static/ /opt/airflow/plugins/collections/ui/static/
COPY --chown=airflow:0 include/ /opt/airflow/include/

# The package reads its SQL files from here (a non-editable install cannot find them by path).
ENV COLLECTIONS_SQL_DIR=/opt/airflow/include/sql
