# Partnership Hub: front-end assets, then the release binary, then a slim image.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static ./static
RUN npm run build:css

FROM rust:1-bookworm AS build
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
# How the allocator is built (arenas committed as used): see .cargo/config.toml.
COPY .cargo ./.cargo
COPY .sqlx ./.sqlx
COPY migrations ./migrations
COPY data ./data
COPY templates ./templates
COPY src ./src
ENV SQLX_OFFLINE=true
RUN cargo build --release --locked --bin partnership-hub

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app hub
WORKDIR /app
COPY --from=build /app/target/release/partnership-hub /usr/local/bin/partnership-hub
COPY --from=assets /app/static ./static
COPY --from=assets /app/node_modules/govuk-frontend/dist ./node_modules/govuk-frontend/dist
COPY seed ./seed
USER hub
ENV BIND=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["partnership-hub", "serve"]
