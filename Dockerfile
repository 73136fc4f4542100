# Sextant: Deno app with the system Chromium for page screenshots.
FROM denoland/deno:debian-2.9.6

RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-noto-core ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json deno.json deno.lock ./
RUN deno install
COPY . .
RUN deno task build && deno cache main.ts

ENV PORT=8000 \
    DATA_DIR=/data \
    CHROMIUM_PATH=/usr/bin/chromium
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD deno eval "const r = await fetch('http://127.0.0.1:8000/healthz'); Deno.exit(r.ok ? 0 : 1)"
CMD ["deno", "run", "-A", "main.ts"]
