"""cmlx.core: the C extension module ``cmlx._core`` under its public name.

The module replaces itself in ``sys.modules`` with the extension, so ``cmlx.core``,
``cmlx._core`` and ``mlx.core`` are one module object.
"""
import sys

from cmlx import _core

sys.modules[__name__] = _core
sys.modules["cmlx.core.random"] = _core.random
sys.modules["cmlx.core.fast"] = _core.fast
