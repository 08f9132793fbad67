# Corkboard: one image serving HTTP and websockets with Daphne.
# Build: docker build -t corkboard .   (docker-compose.yml runs two of these behind nginx)

# --- Front end: TypeScript + Vite, built to static files ---------------------------
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- Application -------------------------------------------------------------------
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# pg_dump/pg_restore for bin/backup and bin/restore; a fixed uid for runAsUser (deploy/k8s).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 corkboard \
    && useradd --system --uid 10001 --gid corkboard --create-home corkboard
WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
COPY --from=frontend /src/frontend/dist ./frontend/dist
# collectstatic only reads settings; this throwaway key never signs anything.
RUN SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && chown -R corkboard:corkboard /app

USER corkboard
EXPOSE 8000
# --proxy-headers: take the client address from the proxy's X-Forwarded-For.
CMD ["daphne", "-v", "0", "-e", "tcp:port=8000:interface=0.0.0.0:backlog=1024", "--proxy-headers", "project.asgi:application"]
