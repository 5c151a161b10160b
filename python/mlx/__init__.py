"""mlx: compatibility package mapping Apple MLX's ``mlx.core`` onto cmlx."""
