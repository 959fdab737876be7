"""The numpy initial weights are Keras's own, bit for bit; what numpy cannot draw is left to Keras."""
import keras
import numpy as np
import pytest

from service import initial_values, keras_core  # noqa: F401  (keras_core configures Keras's environment)

SHAPES = [(), (1,), (3,), (4,), (5,), (2, 16), (17, 33), (3, 3, 2, 8), (7, 1, 5), (1000,)]
SEEDS = [0, 1, 7, 123_456_789, 2**31 - 3, 2**31 - 2, 2**31, 2**40 + 5, -1, -(2**35)]
COVERED = [
    keras.initializers.GlorotUniform,
    keras.initializers.HeUniform,
    keras.initializers.LecunUniform,
    lambda seed: keras.initializers.VarianceScaling(scale=2.5, mode="fan_out", distribution="uniform", seed=seed),
    lambda seed: keras.initializers.RandomUniform(minval=-0.3, maxval=1.7, seed=seed),
    lambda seed: keras.initializers.RandomUniform(minval=-2, maxval=3, seed=seed),
]


@pytest.mark.parametrize("make", COVERED, ids=lambda make: getattr(make, "__name__", "configured"))
@pytest.mark.parametrize("seed", SEEDS)
def test_seeded_uniform_initializers_match_keras_bit_for_bit(make, seed):
    initializer = make(seed=seed)
    for shape in SHAPES:
        expected = keras.ops.convert_to_numpy(initializer(shape, dtype="float32"))
        drawn = initial_values.initial_value(initializer, shape, "float32")
        assert drawn.dtype == np.float32 and drawn.shape == shape
        assert drawn.tobytes() == expected.tobytes(), (shape, seed)


def test_default_seeds_drawn_after_set_random_seed_match_keras():
    """As a model's layers draw them: keras.utils.set_random_seed, then initializers without a seed."""
    keras.utils.set_random_seed(42)
    initializers = [keras.initializers.GlorotUniform() for _ in range(20)]
    for index, initializer in enumerate(initializers):
        shape = (index % 5 + 1, index + 3)
        expected = keras.ops.convert_to_numpy(initializer(shape, dtype="float32"))
        assert initial_values.initial_value(initializer, shape, "float32").tobytes() == expected.tobytes()


@pytest.mark.parametrize("initializer", [keras.initializers.Zeros(), keras.initializers.Ones()])
def test_constant_initializers(initializer):
    expected = keras.ops.convert_to_numpy(initializer((3, 4), dtype="float32"))
    assert initial_values.initial_value(initializer, (3, 4), "float32").tobytes() == expected.tobytes()


@pytest.mark.parametrize("initializer, dtype", [
    (keras.initializers.GlorotNormal(seed=1), "float32"),
    (keras.initializers.HeNormal(seed=1), "float32"),
    (keras.initializers.Orthogonal(seed=1), "float32"),
    (keras.initializers.RandomNormal(seed=1), "float32"),
    (keras.initializers.Constant(0.5), "float32"),
    (keras.initializers.GlorotUniform(seed=1), "float16"),
    (keras.initializers.RandomUniform(minval=-1e39, maxval=1.0, seed=1), "float32"),
    (keras.initializers.GlorotUniform(seed=keras.random.SeedGenerator(3)), "float32"),
])
def test_what_numpy_does_not_draw_is_left_to_keras(initializer, dtype):
    assert initial_values.initial_value(initializer, (4, 4), dtype) is None
