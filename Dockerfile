# syntax=docker/dockerfile:1
# Three stages; the first two run the same Makefile targets as CI (`make ui`, `make venv`).

# 1. node builds the UI into backend/glassnet/static
FROM node:20-bookworm AS ui
WORKDIR /src
COPY Makefile ./
COPY frontend ./frontend
RUN make ui

# 2. python installs torch and the package (with the built UI) into a venv
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# torch from PyPI by default; pass TORCH_PIP_ARGS (an index URL) for PyTorch's smaller CPU-only wheels
ARG TORCH_SPEC=torch
ARG TORCH_PIP_ARGS=
COPY Makefile pyproject.toml README.md ./
COPY backend ./backend
COPY --from=ui /src/backend/glassnet/static ./backend/glassnet/static
# with the ray extra: the same image runs the server, a Ray head or a Ray worker (docker-compose.yml's cluster profile)
RUN make venv VENV=/opt/venv PIP_TARGET=".[ray]" TORCH_SPEC="${TORCH_SPEC}" TORCH_PIP_ARGS="${TORCH_PIP_ARGS}"

# 3. a slim runtime, as a non-root user
FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 glassnet && mkdir /data && chown glassnet /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    GLASSNET_HOST=0.0.0.0 \
    GLASSNET_PORT=8000 \
    GLASSNET_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
USER glassnet
WORKDIR /home/glassnet
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; t = os.environ.get('GLASSNET_TOKEN'); u.urlopen(u.Request('http://127.0.0.1:8000/api/health', headers={'Authorization': 'Bearer ' + t} if t else {}), timeout=4)"]
CMD ["glassnet", "serve"]
