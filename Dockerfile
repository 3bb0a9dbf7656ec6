# syntax=docker/dockerfile:1
#
# One image with three static binaries: clari_exporter (the entrypoint),
# clari-sim (the Clari API simulator) and webhook-logger (the demo stack's
# Alertmanager notification sink). docker-compose.yml picks the binary per
# service with `entrypoint`.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: static binaries for distroless/static (the SQLite driver is
# pure Go).
ARG VERSION=dev
ARG REVISION=unknown
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/bin/ ./cmd/clari_exporter ./cmd/clari-sim ./deploy/webhook-logger \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bin/clari_exporter /out/bin/clari-sim /out/bin/webhook-logger /bin/
# State directory owned by the nonroot user; a named volume mounted here
# inherits the ownership.
COPY --from=build --chown=nonroot:nonroot /out/data /var/lib/clari_exporter
USER nonroot:nonroot
EXPOSE 9852
ENTRYPOINT ["/bin/clari_exporter"]
CMD ["--config.file=/etc/clari/deploy/clari_exporter.yml", "--web.config.file=/etc/clari/deploy/web-config.yml"]
