#!/usr/bin/env bash
# scripts/install-deps.sh: install what cmlx needs to build and test, from Debian's archive, only
# when it is missing (idempotent; needs root or sudo for apt-get when something is missing).
#   build:  gcc, make, cmake (>= 3.25), pkg-config, OpenBLAS (GEMM), Python headers
#   tests:  NumPy and pytest for Debian's /usr/bin/python3
set -euo pipefail

pkgs=(gcc make cmake pkg-config libopenblas-dev python3 python3-dev python3-numpy python3-pytest python3-setuptools)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
