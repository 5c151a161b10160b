"""Errors: argument errors raise TypeError/ValueError like MLX; library errors map by status."""
import pytest

import mlx.core as mx


def test_argument_errors():
    with pytest.raises(TypeError, match="missing required argument"):
        mx.add(1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        mx.add(1, 2, c=3)
    with pytest.raises(TypeError, match="positional"):
        mx.exp(1, 2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        mx.exp(a=1)  # positional-only
    with pytest.raises(TypeError):
        mx.zeros((2,), dtype="float32")
    with pytest.raises(TypeError):
        mx.zeros("abc")
    with pytest.raises(TypeError, match="multiple values"):
        mx.reshape(mx.zeros(2), (2,), shape=(2,))
    with pytest.raises(TypeError):
        mx.array([1]).reshape(2.0)
    with pytest.raises(ValueError):
        mx.array(object())


def test_library_errors_map():
    with pytest.raises(ValueError, match=r"\[reshape\]"):
        mx.reshape(mx.zeros(6), (4, 2))
    with pytest.raises(ValueError, match="broadcast"):
        mx.add(mx.zeros(2), mx.zeros(3))
    with pytest.raises(ValueError):
        mx.bitwise_and(mx.array([1.0]), mx.array([1.0]))
    with pytest.raises(ValueError):
        mx.transpose(mx.zeros((2, 2)), (0, 0))
    with pytest.raises(ValueError):
        mx.squeeze(mx.zeros((2, 2)), 0)
    with pytest.raises(OverflowError):
        mx.array([1], mx.uint8) + 256
    with pytest.raises(TypeError):
        len(mx.array(1))
    with pytest.raises(IndexError):
        mx.zeros((2,))[3]
    # the error does not stick: the next call works
    assert mx.add(1, 1).item() == 2


def test_exception_message_has_op_prefix():
    try:
        mx.reshape(mx.zeros(6), (4, 2))
    except ValueError as e:
        assert str(e).startswith("[reshape]")
