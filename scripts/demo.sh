#!/usr/bin/env bash
# scripts/demo.sh: the main job: install, build, and run the C example (examples/graph.c).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build build -j"$(nproc)" --target example_graph
build/example_graph
