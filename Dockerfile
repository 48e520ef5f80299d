# syntax=docker/dockerfile:1
# Build: docker build -t mpc-bot .   Run: docker run --env-file mpc-bot.env mpc-bot
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The same build the tests make (cmd/mpc-bot/main_test.go): static, stripped.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mpc-bot ./cmd/mpc-bot

# distroless/static carries CA certificates and tzdata, and runs as nonroot.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mpc-bot /mpc-bot
USER nonroot:nonroot
# The default SQLite database (MPC_DB_PATH=mpc-bot.db) lands in nonroot's
# home; mount a volume there to keep it, or set MPC_DATABASE_URL.
WORKDIR /home/nonroot
EXPOSE 8080
ENTRYPOINT ["/mpc-bot"]
