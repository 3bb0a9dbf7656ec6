# Build entry points. Every target is plain Go tooling; nothing is downloaded
# but Go modules.
#
#   make release    stamped binaries for linux/darwin/windows x amd64/arm64,
#                   tarballs and sha256sums in dist/ (scripts/release.sh)
#   make docker     the container image, stamped (needs docker or podman)
#   make test       the quick suite (go test -short ./...)

VERSION    ?= $(shell tr -d ' \n' < VERSION)
REVISION   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH     ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell date -u +%Y%m%d-%H:%M:%S)
DOCKER     ?= docker
IMAGE      ?= clari-exporter:$(VERSION)

export VERSION REVISION BRANCH BUILD_DATE

.PHONY: release docker test clean

release:
	./scripts/release.sh

docker:
	$(DOCKER) build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	  --build-arg BRANCH=$(BRANCH) --build-arg BUILD_DATE=$(BUILD_DATE) -t $(IMAGE) .

test:
	go test -short ./...

clean:
	rm -rf dist
