FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY models models
COPY extractors extractors
COPY storage storage
COPY flows flows
COPY api api
COPY cli cli
RUN pip install --no-cache-dir .
ENV FOLIO_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT []
