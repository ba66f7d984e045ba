# Argus for CI jobs and the server. Build: docker build -t argus .   (network: PyPI only)
#   CI:     docker run --rm -v "$PWD:/work" -w /work -e ARGUS_DATABASE_URL argus ingest tests 'reports/**/*.xml'
#   server: docker build --build-arg EXTRAS=server -t argus-server .
FROM python:3.12-slim

ARG EXTRAS=""
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ARGUS_HOME=/var/lib/argus

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN python -m pip install --quiet ".${EXTRAS:+[$EXTRAS]}" \
    && useradd --create-home --uid 10001 argus \
    && mkdir -p /var/lib/argus && chown argus /var/lib/argus \
    && rm -rf /src

USER argus
WORKDIR /work
ENTRYPOINT ["argus"]
CMD ["--help"]
