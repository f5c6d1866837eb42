# bucle's scheduler and demo for a team server (docker-compose.yml): the same package as the
# venv, installed from pyproject.toml, with the CPU build of torch.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_DISABLE_TELEMETRY=1

RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends git && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 bucle

WORKDIR /app
COPY pyproject.toml README.md ./
COPY common common
COPY annotation annotation
COPY loop loop
COPY training training
COPY demo demo
COPY publishing publishing
# torch==2.13.0 as pyproject.toml pins it, from the CPU index (the default index serves the CUDA build)
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu . && rm -rf /root/.cache

COPY examples examples
COPY deploy deploy
RUN mkdir -p deploy/.bucle && chown -R bucle:bucle /app/deploy

USER bucle
# the project's state (pool, registry, rounds): a named volume in docker-compose.yml
VOLUME ["/app/deploy/.bucle"]
CMD ["bucle", "--project", "deploy/bucle.yaml", "up"]
