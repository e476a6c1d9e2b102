# syntax=docker/dockerfile:1
# AccessMatch: docker build -t accessmatch .
#   docker run -p 8000:8000 -v accessmatch-data:/data \
#     -e ACCESSMATCH_SECRET_KEY=<random string, at least 32 characters> \
#     -e ACCESSMATCH_ADMIN_KEY=<bootstrap admin API key> accessmatch
# The default database is SQLite on the /data volume; for PostgreSQL set
# ACCESSMATCH_DATABASE_URL=postgresql+psycopg://user:password@host:5432/db.
# Migrations run at start (see docker/entrypoint.sh; ACCESSMATCH_MIGRATE_ON_START=false
# turns that off); `docker run ... accessmatch create-key --role admin --name ops` etc.
# run other commands.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: build the wheel and install it, with its dependencies, into /opt/venv
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README* ./
# Dependencies in a layer of their own, before the code: a code change reuses it.
RUN --mount=type=cache,target=/root/.cache/pip \
    python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb')) \
['project']['dependencies']))" > /tmp/requirements.txt \
    && /opt/venv/bin/pip install -r /tmp/requirements.txt
COPY service ./service
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-deps /wheels/accessmatch-*.whl
# The installed package (not /src) must carry its migrations: check from another directory.
WORKDIR /
RUN /opt/venv/bin/python -c "import service.migrate as m; \
names = ['alembic.ini', 'env.py', 'script.py.mako']; \
missing = [n for n in names if not (m.MIGRATIONS / n).is_file()]; \
missing += [] if any(m.MIGRATIONS.glob('versions/*.py')) else ['versions/*.py']; \
assert not missing and '/opt/venv/' in m.__file__, (m.__file__, missing)"

# ---- runtime: the venv only, run as an unprivileged user
FROM ${PYTHON_IMAGE}
ARG APP_UID=10001
RUN groupadd --system --gid "${APP_UID}" accessmatch \
    && useradd --system --uid "${APP_UID}" --gid accessmatch --home-dir /data \
       --no-create-home --shell /usr/sbin/nologin accessmatch \
    && install -d -o accessmatch -g accessmatch -m 0750 /data
COPY --from=builder /opt/venv /opt/venv
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/accessmatch-entrypoint
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ACCESSMATCH_DATABASE_URL="sqlite:////data/accessmatch.db" \
    ACCESSMATCH_PORT=8000
WORKDIR /data
VOLUME ["/data"]
USER accessmatch:accessmatch
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; \
urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('ACCESSMATCH_PORT', '8000'), timeout=4)" \
    || exit 1
ENTRYPOINT ["accessmatch-entrypoint"]
CMD ["serve"]
