"""Initial weights drawn with numpy, bit for bit what Keras's TensorFlow initializers draw.

Why: through Keras, a never-seen model's weights cost about ten small TensorFlow ops per variable (the seed
as a tensor, its cast, a key and counter, the Philox kernel, the scale and shift), and a TensorFlow op costs
most the first time it runs after the worker did other things. The numbers need no TensorFlow: its
stateless uniform draws are Philox-4x32-10 on a key and counter derived from the seed, which numpy computes
exactly. tests/unit/test_initial_values.py checks every initializer covered here against Keras itself, so a
Keras upgrade that changed the draws would fail there, not drift. Anything else (normal distributions,
orthogonal matrices, other dtypes, seed generators) returns None and is left to Keras.
"""
import math
from typing import Any, Optional

import numpy as np
from keras import initializers
from keras.src.initializers.random_initializers import compute_fans

_MULTIPLIERS = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_KEY_STEPS = (np.uint32(0x9E3779B9), np.uint32(0xBB67AE85))
_LOW_32 = np.uint64(0xFFFFFFFF)
_SEED_KEY = (0x3EC8F720, 0x02461E29)  # TensorFlow scrambles the seed with Philox under this fixed key
_SEED_MODULUS = 2**31 - 2  # Keras's TensorFlow backend folds int64 seeds into int32 with floormod(seed, this)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_UNIFORM_BY_SCALE = (initializers.VarianceScaling, initializers.GlorotUniform, initializers.HeUniform,
                     initializers.LecunUniform)


def _philox(counter: list[np.ndarray], key: tuple[int, int]) -> list[np.ndarray]:
    """Philox-4x32 with 10 rounds on arrays of counters (four uint32 words each), as TensorFlow runs it."""
    words = [np.asarray(word, dtype=np.uint32) for word in counter]
    key_low, key_high = np.uint32(key[0]), np.uint32(key[1])
    with np.errstate(over="ignore"):
        for round_index in range(10):
            product_0 = _MULTIPLIERS[0] * words[0].astype(np.uint64)
            product_1 = _MULTIPLIERS[1] * words[2].astype(np.uint64)
            high_0, low_0 = (product_0 >> np.uint64(32)).astype(np.uint32), (product_0 & _LOW_32).astype(np.uint32)
            high_1, low_1 = (product_1 >> np.uint64(32)).astype(np.uint32), (product_1 & _LOW_32).astype(np.uint32)
            words = [high_1 ^ words[1] ^ key_low, low_1, high_0 ^ words[3] ^ key_high, low_0]
            if round_index < 9:
                key_low, key_high = key_low + _KEY_STEPS[0], key_high + _KEY_STEPS[1]
    return words


def _uniform_bits(count: int, seed: tuple[int, int]) -> np.ndarray:
    """`count` uint32 draws of StatelessRandomUniformV2 for a two-word int32 seed."""
    # StatelessRandomGetKeyCounter: the seed words, as 64-bit values, go through Philox once.
    first, second = (np.uint64(word % 2**64) for word in seed)
    mix = _philox([[first & _LOW_32], [first >> np.uint64(32)], [second & _LOW_32], [second >> np.uint64(32)]],
                  _SEED_KEY)
    key = (int(mix[0][0]), int(mix[1][0]))
    blocks = (count + 3) // 4  # each Philox call gives four draws; the counter's low word counts the calls
    counter = [np.arange(blocks, dtype=np.uint32), np.zeros(blocks, np.uint32),
               np.full(blocks, mix[2][0], np.uint32), np.full(blocks, mix[3][0], np.uint32)]
    return np.stack(_philox(counter, key), axis=1).reshape(-1)[:count]


def keras_uniform(shape: tuple[int, ...], seed: int, minval: float, maxval: float) -> np.ndarray:
    """keras.random.uniform(shape, minval, maxval, seed=seed) in float32, as the TensorFlow backend draws it."""
    folded = seed % _SEED_MODULUS  # draw_seed makes [seed, 0] an int64 tensor; _cast_seed folds it to int32
    bits = _uniform_bits(math.prod(shape), (folded, 0))
    unit = ((bits & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1.0)
    low, high = np.float32(minval), np.float32(maxval)
    return (unit * (high - low) + low).reshape(shape)  # float32 throughout, one rounding per op as in TF


def _int_seed(initializer: Any) -> Optional[int]:
    seed = getattr(initializer, "seed", None)
    if isinstance(seed, bool) or not isinstance(seed, int) or not -2**63 <= seed < 2**63:
        return None
    return seed


def _plain_bound(value: Any) -> bool:
    """A bound that TensorFlow and numpy turn into the same float32 (no overflow, no int64 conversion)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -2**31 <= value < 2**31
    return isinstance(value, float) and abs(value) <= _FLOAT32_MAX


def _uniform_limit(initializer: Any, shape: tuple[int, ...]) -> float:
    """The bound VarianceScaling.__call__ computes for its uniform distribution."""
    scale = initializer.scale
    fan_in, fan_out = compute_fans(shape, input_axes=initializer.input_axes, output_axes=initializer.output_axes)
    if initializer.mode == "fan_in":
        scale /= max(1.0, fan_in)
    elif initializer.mode == "fan_out":
        scale /= max(1.0, fan_out)
    else:
        scale /= max(1.0, (fan_in + fan_out) / 2.0)
    return math.sqrt(3.0 * scale)


def initial_value(initializer: Any, shape: tuple[int, ...], dtype: str) -> Optional[np.ndarray]:
    """What `initializer(shape, dtype)` returns, computed with numpy; None where Keras must do it."""
    if dtype != "float32":
        return None
    kind = type(initializer)
    if kind is initializers.Zeros:
        return np.zeros(shape, np.float32)
    if kind is initializers.Ones:
        return np.ones(shape, np.float32)
    seed = _int_seed(initializer)
    if seed is None:
        return None
    if kind is initializers.RandomUniform:
        bounds = (initializer.minval, initializer.maxval)
        if not all(_plain_bound(bound) for bound in bounds):
            return None
        return keras_uniform(shape, seed, *bounds)
    if kind in _UNIFORM_BY_SCALE and initializer.distribution == "uniform":
        limit = _uniform_limit(initializer, shape)
        return keras_uniform(shape, seed, -limit, limit)
    return None
