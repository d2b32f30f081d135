# One image for every gadelys service; docker-compose.yml picks the entry point per service
# (`node services/<name>/main.js`), the default is the whole lab in one process on DuckDB.
#
# build:   every dependency, then `npm run build`: the services compiled to JavaScript by tsc
#          (scripts/buildServer.ts, tsconfig.build.json -> dist/server, the repository's layout)
#          and the web app bundled by esbuild (scripts/buildDashboard.ts -> dist/dashboard).
# deps:    production dependencies only.
# runtime: those dependencies and the compiled output; no TypeScript sources, no tsx.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY shared ./shared
COPY services ./services
COPY simulator ./simulator
COPY dashboards ./dashboards
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# tsx is a dependency for `npm start` from a clone; the compiled image never loads it.
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/tsx node_modules/.bin/tsx \
  && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /src/dist/server ./
COPY --from=build /src/dist/dashboard ./dist/dashboard
# Writable places for the node user: ./data (the lab's defaults) and /data (compose's volumes,
# which take this ownership when they are first created).
RUN mkdir -p /app/data /data/spool /data/gateway && chown -R node:node /app/data /data
USER node
EXPOSE 8080 1883 8083 9101 9464
# The gateway's health by default; compose gives each service its own URL.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=4 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL || 'http://127.0.0.1:8080/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/lab/main.js"]
