FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY projections projections
COPY api api
COPY workers workers
COPY schemas schemas
COPY signalyard signalyard
RUN pip install --no-cache-dir .
USER nobody
