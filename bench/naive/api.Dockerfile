# Baseline for bench/ only, never deployed: the API built the way the seeds' single-stage Python
# Dockerfile builds it (seeds/docker-standards.md, "Python Application Dockerfile"): compilers and
# client libraries installed and left in the runtime image, dependencies installed into the
# system Python, the whole context copied and chowned. Same app, same locked dependency versions
# as images/api/Dockerfile, so the size difference is the build pattern alone.
#   docker build -f bench/naive/api.Dockerfile --build-arg PYTHON_VERSION=3.11 images/api
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim-bookworm
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends \
    postgresql-client \
    build-essential \
    libpq-dev \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-hashes --no-emit-project -o requirements.txt \
    && uv pip install --system --no-cache -r requirements.txt
COPY . .
RUN groupadd --system --gid 1001 appuser && \
    useradd --system --uid 1001 --gid appuser --create-home appuser
RUN chown -R appuser:appuser /app
USER appuser
EXPOSE 8000
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
