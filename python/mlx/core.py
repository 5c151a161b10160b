"""mlx.core: the same module object as cmlx.core (``import mlx.core as mx`` and
``from mlx.core import array`` both work)."""
import sys

import cmlx.core as _core

sys.modules[__name__] = _core
sys.modules["mlx.core.random"] = _core.random
sys.modules["mlx.core.fast"] = _core.fast
