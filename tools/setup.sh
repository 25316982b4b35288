#!/usr/bin/env bash
# Installs every Debian package that custody's build, tests, benchmarks and demo need, then
# the npm packages the tests use (package-lock.json, npm ci). Idempotent and quiet when
# everything is present; safe with CI=true and no stdin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake pkg-config git
  libssl-dev                              # OpenSSL: SHA-256 (find_package OpenSSL)
  librocksdb-dev                          # storage (find_package RocksDB)
  capnproto libcapnp-dev                  # schema, canonical records (find_package CapnProto)
  libsodium-dev                           # Ed25519 checkpoints, argon2id
  libicu-dev                              # identifiers: NFC, scripts, invisible characters
  libboost1.81-dev libboost-json1.81-dev  # Boost.JSON, Asio/Beast, DLL (find_package Boost)
  libcli11-dev                            # CLI (find_package CLI11)
  libfmt-dev libspdlog-dev                # formatting (find_package fmt), logging
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql libpq-dev                    # genealogy benchmark baseline (find_package PostgreSQL)
  sqlite3 libsqlite3-dev                  # genealogy benchmark baseline (find_package SQLite3)
  libmodbus-dev                           # the Modbus TCP device driver plugin (pkg-config)
  libpaho-mqtt-dev                        # the MQTT driver plugin: find_package(eclipse-paho-mqtt-c)
  mosquitto mosquitto-clients             # the MQTT broker its tests and the demo start; mosquitto_pub
  nats-server libnats-dev                 # replication: the JetStream broker and its C client (nats.c)
  curl openssl                            # server tests: HTTPS with a certificate they make
  wrk                                     # server benchmark: GET /v1/lots/{id} under load
  chromium                                # the web UI's browser tests (headless, playwright-core)
  fonts-wqy-microhei                      # Chinese glyphs for the zh-CN screens and screenshots
  python3                                 # an independent check of the Merkle proofs (hashlib)
  clang-14 libclang-rt-14-dev libfuzzer-14-dev  # tools/fuzz.sh: libFuzzer targets (ASan, UBSan)
)
# Node.js and npm (the web UI's modules, the API document's linter and response checker, the
# browser tests): the machine's own if it has them (custody's tools need Node 20 or later),
# else Debian's.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
  else
    sudo=
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq </dev/null >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# The npm packages, exactly as package-lock.json pins them, unless already installed from it.
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js $(node --version) is too old: custody's test tools need Node 20 or later" >&2
  exit 1
fi
if ! cmp -s "$root/package-lock.json" "$root/node_modules/.package-lock.json.installed" 2>/dev/null; then
  echo "setup: npm ci"
  (cd "$root" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null >/dev/null)
  cp "$root/package-lock.json" "$root/node_modules/.package-lock.json.installed"
fi
