#!/usr/bin/env bash
# Installs every Debian package that custody's build, tests, benchmarks and demo need.
# Idempotent and quiet when everything is present; safe with CI=true and no stdin.
set -euo pipefail

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
  curl openssl                            # server tests: HTTPS with a certificate they make
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq </dev/null >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
