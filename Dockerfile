# One image for every gadelys service; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY shared ./shared
COPY services ./services
COPY simulator ./simulator
COPY dashboards ./dashboards
COPY docs ./docs
ENV NODE_ENV=production
USER node
CMD ["npx", "tsx", "services/lab/main.ts"]
