# syntax=docker/dockerfile:1
#
# The clari_exporter image: static binaries on distroless, non-root.
#
#   make docker    # or: docker build --build-arg VERSION=$(cat VERSION) -t clari-exporter .
#   docker run -p 9852:9852 \
#     -v "$PWD/clari.yml:/etc/clari_exporter/clari.yml:ro" \
#     -v "$PWD/clari_api_key:/run/secrets/clari_api_key:ro" \
#     -v clari-data:/var/lib/clari_exporter \
#     clari-exporter
#
# Without a mounted config the exporter exits saying where to mount one;
# `docker run -p 9852:9852 clari-exporter --demo` needs none.
#
# clari-sim (the Clari API simulator) and webhook-logger (the demo stack's
# Alertmanager notification sink) ride along for docker-compose.yml, which
# picks the binary per service with `entrypoint`.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Stamped like a release (scripts/release.sh): version, revision, branch and
# build date land in --version, clari_exporter_build_info and the landing
# page. CGO_ENABLED=0: static binaries for distroless/static (the SQLite
# driver is pure Go).
ARG VERSION=dev
ARG REVISION=unknown
ARG BRANCH=unknown
ARG BUILD_DATE=unknown
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.Branch=${BRANCH} -X github.com/prometheus/common/version.BuildDate=${BUILD_DATE} -X github.com/prometheus/common/version.BuildUser=docker" \
      -o /out/bin/ ./cmd/clari_exporter ./cmd/clari-sim ./deploy/webhook-logger \
 && mkdir -p /out/data /out/etc/clari_exporter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bin/clari_exporter /out/bin/clari-sim /out/bin/webhook-logger /bin/
COPY LICENSE NOTICE /usr/share/doc/clari_exporter/
# The config directory the default command reads (mount clari.yml here) and
# the state directory, owned by the nonroot user: a named volume mounted at
# /var/lib/clari_exporter inherits the ownership. The working directory is
# the state directory, so the default storage.path (./data/...) is writable.
COPY --from=build /out/etc/clari_exporter /etc/clari_exporter
COPY --from=build --chown=nonroot:nonroot /out/data /var/lib/clari_exporter
WORKDIR /var/lib/clari_exporter
USER nonroot:nonroot
EXPOSE 9852
ENTRYPOINT ["/bin/clari_exporter"]
CMD ["--config.file=/etc/clari_exporter/clari.yml"]
