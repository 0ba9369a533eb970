# DescentLab for the classroom: `docker compose up`, then http://localhost:8000.
# The install step is the Makefile's own (`make install`), so the image and a developer's
# .venv get the same dependencies from pyproject.toml.

FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md Makefile ./
COPY backend ./backend
COPY frontend ./frontend
# A plain (non-editable) install into /opt/venv: the wheel carries the frontend as package data.
RUN make install VENV=/opt/venv INSTALL_TARGET=. \
    && /opt/venv/bin/pip uninstall -y pip \
    && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

FROM python:3.11-slim
# Chromium draws an animation's still picture (Plotly through kaleido, POST /api/animations);
# it brings DejaVu fonts for the text. ffmpeg comes in the imageio-ffmpeg wheel.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*
# Same path as in the build stage: a venv's scripts name their interpreter by absolute path.
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --uid 10001 descentlab
USER 10001
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NUMBA_CACHE_DIR=/home/descentlab/.cache/numba
# The machine-code loop of single trajectories, compiled into numba's cache now: a worker then
# loads it in ~0.6 s as it starts (on a CPU of another kind it compiles it again, ~2 s, once).
RUN python -c "from descentlab.engine import vm; vm.load()"
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["descentlab", "serve", "--host", "0.0.0.0", "--port", "8000"]
