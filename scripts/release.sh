#!/usr/bin/env bash
# Release build: stamped, static binaries of clari_exporter for every
# platform in PLATFORMS, each in a tarball with the licence, notice,
# changelog, README and example config, plus dist/sha256sums.txt.
# Self-contained (the Go toolchain, tar and sha256sum; nothing is
# downloaded beyond Go modules), in the layout promu gives Prometheus
# exporters: clari_exporter-<version>.<os>-<arch>.tar.gz holding a
# directory of the same name.
#
#   make release                                  # every platform
#   PLATFORMS=linux/amd64 VERSION=0.2.0 make release
#
# The version comes from VERSION (the file) unless given; revision, branch
# and build date from git and the clock. They are stamped with -ldflags -X
# into github.com/prometheus/common/version, which --version,
# clari_exporter_build_info and the landing page print.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${VERSION:=$(tr -d ' \n' < VERSION)}"
: "${REVISION:=$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
: "${BRANCH:=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)}"
: "${BUILD_DATE:=$(date -u +%Y%m%d-%H:%M:%S)}"
: "${BUILD_USER:=$(id -un 2>/dev/null || echo unknown)@$(hostname 2>/dev/null || echo unknown)}"
: "${PLATFORMS:=linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}"
: "${DIST:=dist}"

pkg=github.com/prometheus/common/version
ldflags="-s -w -X ${pkg}.Version=${VERSION} -X ${pkg}.Revision=${REVISION} -X ${pkg}.Branch=${BRANCH} -X ${pkg}.BuildUser=${BUILD_USER} -X ${pkg}.BuildDate=${BUILD_DATE}"

mkdir -p "$DIST"
archives=()
for platform in $PLATFORMS; do
  goos=${platform%/*}
  goarch=${platform#*/}
  name="clari_exporter-${VERSION}.${goos}-${goarch}"
  stage="$DIST/$name"
  rm -rf "$stage"
  mkdir -p "$stage"
  ext=""
  [ "$goos" = windows ] && ext=.exe
  echo ">> building $name" >&2
  # CGO_ENABLED=0: a static binary (the SQLite driver is pure Go).
  # -buildvcs=false: the revision is stamped by -ldflags, and a build from
  # a tarball of the source has no VCS to read.
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -buildvcs=false \
    -ldflags "$ldflags" -o "$stage/clari_exporter$ext" ./cmd/clari_exporter
  cp LICENSE NOTICE CHANGELOG.md README.md "$stage/"
  mkdir -p "$stage/examples"
  cp examples/clari.yml "$stage/examples/"
  tar -C "$DIST" -czf "$DIST/$name.tar.gz" --owner=0 --group=0 "$name"
  rm -rf "$stage"
  archives+=("$name.tar.gz")
done

(cd "$DIST" && sha256sum "${archives[@]}" > sha256sums.txt)
echo ">> $DIST/sha256sums.txt" >&2
cat "$DIST/sha256sums.txt"
