"""cmlx: an array framework for machine learning (Apple MLX's design, in C, for Linux).

``import cmlx.core as mx`` (or ``import mlx.core as mx``) gives MLX's ``mlx.core`` API.
"""
