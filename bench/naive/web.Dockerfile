# Baseline for bench/ only, never deployed: the web app in one stage, the way a first Dockerfile for
# a Next.js app usually looks: the full node_modules (dev dependencies included) and everything
# `next build` writes stay in the image that runs. Same app and lockfile as images/web/Dockerfile.
#   docker build -f bench/naive/web.Dockerfile --build-arg NODE_VERSION=22 images/web
ARG NODE_VERSION=22
FROM node:${NODE_VERSION}-bookworm-slim
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
ENV NODE_ENV=production \
    PORT=3000 \
    HOSTNAME=0.0.0.0
EXPOSE 3000
CMD ["node_modules/.bin/next", "start", "--hostname", "0.0.0.0", "--port", "3000"]
