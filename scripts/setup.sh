#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs to build and test cltv. Idempotent: a second
# run checks and changes nothing.
source "$(dirname "$0")/common.sh"

APT_PACKAGES=(
    build-essential pkg-config libssl-dev clang libclang-dev sudo
    postgresql-15 postgresql-server-dev-15 postgresql-15-cron libopenblas-dev
    python3 python3-venv
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
    echo "cargo is not on PATH: install a Rust toolchain (rustup) first" >&2
    exit 1
fi

if ! cargo pgrx --version 2>/dev/null | grep -q ' 0\.18\.1$'; then
    step "cargo install cargo-pgrx 0.18.1 (about 4-8 minutes, once)"
    cargo install cargo-pgrx --version 0.18.1 --locked
fi

# `cargo pgrx init` against Debian's PostgreSQL 15 downloads nothing.
if ! grep -qs "pg15 = \"$PG_CONFIG\"" "${PGRX_HOME:-$HOME/.pgrx}/config.toml"; then
    step "cargo pgrx init --pg15 $PG_CONFIG"
    cargo pgrx init --pg15 "$PG_CONFIG"
fi
