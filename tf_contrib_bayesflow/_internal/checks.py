"""Cheap argument checks shared by the public modules: each raises an error naming the argument.

They read only Python types, static shapes and dtypes, so they build no op and cost a few
attribute reads on the hot path. A value whose property is unknown statically (an unknown rank,
a dimension known only at run time) passes: TensorFlow checks it when the graph runs.
"""
from typing import Any, Optional, Sequence

import numpy as np
import tensorflow as tf

# NumPy kinds of real values: bool, signed and unsigned integer, floating point.
_REAL_KINDS = "biuf"


def numpy_value(value: Any) -> Optional[np.ndarray]:
    """`value` as a NumPy array, or None when NumPy cannot read it (e.g. a list holding graph
    tensors, which TensorFlow's conversion packs into one tensor)."""
    try:
        return np.asarray(value)
    except (TypeError, ValueError, NotImplementedError):
        return None


def dtype_kind(value: Any) -> Optional[str]:
    """The NumPy kind ('b', 'i', 'u', 'f', ...) of `value`'s dtype; None when unknown.

    Objects with a TensorFlow `dtype` (tensors, variables, stochastic tensors) are judged by it.
    """
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, tf.DType):
        for kind, is_kind in (
            ("f", dtype.is_floating), ("c", dtype.is_complex), ("b", dtype.is_bool),
            ("u", dtype.is_unsigned), ("i", dtype.is_integer),
        ):
            if is_kind:
                return kind
        return "O"
    array = numpy_value(value)
    return None if array is None else array.dtype.kind


def static_shape(value: Any) -> tf.TensorShape:
    """The shape of `value` as a tensor, as far as it is known without building an op."""
    shape = getattr(value, "shape", None)
    if isinstance(shape, tf.TensorShape):
        return shape
    array = numpy_value(value)
    return tf.TensorShape(None if array is None else array.shape)


def floating_dtype(dist: Any) -> Optional[tf.DType]:
    """`dist.dtype` when it is one floating-point dtype (what `dist.log_prob` needs), else None."""
    dtype = getattr(dist, "dtype", None)
    return dtype if isinstance(dtype, tf.DType) and dtype.is_floating else None


def check_real(value: Any, arg_name: str) -> None:
    """Raises `TypeError` naming `arg_name` unless `value` is a real number, array or tensor."""
    kind = dtype_kind(value)
    if kind is not None and kind not in _REAL_KINDS:
        raise TypeError(
            f"{arg_name} must be a real number, array or Tensor, got {type(value).__name__}: "
            f"{value!r}"
        )


def check_floating(value: Any, arg_name: str) -> None:
    """Raises `TypeError` naming `arg_name` unless `value` has a floating-point dtype."""
    kind = dtype_kind(value)
    if kind is not None and kind != "f":
        raise TypeError(
            f"{arg_name} must have a floating-point dtype, got {type(value).__name__}: {value!r}"
        )


def check_python_bool(value: Any, arg_name: str) -> None:
    """Raises `TypeError` naming `arg_name` unless `value` is a Python (or NumPy) bool or int.

    The value chooses which ops are built, so a tensor cannot stand for it.
    """
    # Departure: legacy took any object's truthiness (and failed inside TF for a graph tensor).
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (int, np.integer)) and not tf.is_tensor(value)
    ):
        return
    raise TypeError(f"{arg_name} must be a Python bool, got {type(value).__name__}: {value!r}")


def check_same_dtype(tensor: tf.Tensor, dtype: tf.DType, arg_name: str, reference: str) -> None:
    """Raises `TypeError` naming `arg_name` unless `tensor` has `dtype`, that of `reference`."""
    if tensor.dtype != dtype:
        raise TypeError(
            f"{arg_name} must have the dtype of {reference}, {tf.as_dtype(dtype).name}, got "
            f"{tensor.dtype.name}"
        )


def as_tensor_of_dtype(
    value: Any, dtype: tf.DType, arg_name: str, reference: str, name: Optional[str] = None
) -> tf.Tensor:
    """`value` as a tensor (a Python or NumPy value takes `dtype`) that must have `dtype`, that of
    `reference`; see `check_same_dtype`."""
    value = tf.convert_to_tensor(value, dtype_hint=dtype, name=name)
    check_same_dtype(value, dtype, arg_name, reference)
    return value


def check_sample_axis(values: Any, arg_name: str) -> None:
    """Raises `ValueError` naming `arg_name` when `values` statically has no (or an empty) axis 0.

    A mean over no samples is NaN (and a max -inf), so an empty sample axis is an error.
    """
    shape = static_shape(values)
    if shape.rank == 0:
        raise ValueError(
            f"{arg_name} must have a sample axis 0 (rank >= 1), got a scalar: {values!r}"
        )
    if shape.rank is not None and tf.compat.dimension_value(shape[0]) == 0:
        raise ValueError(
            f"{arg_name} holds 0 samples along axis 0 (shape {shape}); an average over no "
            "samples is NaN"
        )


def check_broadcastable(tensors: Sequence[tf.Tensor], arg_name: str) -> None:
    """Raises `ValueError` naming `arg_name` unless the static shapes of `tensors` broadcast."""
    shape = tf.TensorShape([])
    try:
        for tensor in tensors:
            shape = tf.broadcast_static_shape(shape, tensor.shape)
    except ValueError:
        shapes = [tensor.shape for tensor in tensors]
        raise ValueError(
            f"{arg_name} have static shapes that do not broadcast together: {shapes}"
        ) from None
