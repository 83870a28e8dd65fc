#!/usr/bin/env bash
# Debian/Ubuntu packages Wharf needs to build and to run its tests.
# Build: a C toolchain, libseccomp, cJSON and libarchive for native/.
# Tests: busybox-static (fixture rootfs), docker-registry + skopeo + umoci
# (a real registry and tools we did not write), runc (to test the tests and
# as the benchmark peer), conmon (monitor memory peer), openssl (token-auth
# certs), tmux (drives `docker run -it`), chromium (Playwright e2e).
set -euo pipefail
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential python3 pkg-config \
  libseccomp-dev libcjson-dev libarchive-dev nettle-dev zlib1g-dev \
  busybox-static iproute2 procps util-linux \
  docker-registry skopeo umoci runc \
  apache2-utils openssl ca-certificates tmux jq conmon \
  chromium fonts-dejavu-core
