"""pytest setup for the Python tests: make python/ importable (same as PYTHONPATH=python)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = os.path.join(ROOT, "python")
if PY not in sys.path:
    sys.path.insert(0, PY)

# DEVICE=gpu runs the suite with the GPU as the default device (MLX's test convention); without a
# GPU the whole session is skipped rather than silently run on the CPU.
_DEVICE = os.environ.get("DEVICE", "").lower()


def pytest_configure(config):
    if _DEVICE == "gpu":
        import mlx.core as mx

        if mx.is_available(mx.gpu):
            mx.set_default_device(mx.gpu)


def pytest_collection_modifyitems(config, items):
    if _DEVICE == "gpu":
        import pytest
        import mlx.core as mx

        if not mx.is_available(mx.gpu):
            skip = pytest.mark.skip(reason="DEVICE=gpu but no GPU is available")
            for item in items:
                item.add_marker(skip)
