"""Exercise 7's data: the 2-sequence problem (class in the first element, Gaussian noise of variance 0.2 after)."""

import numpy as np

NOISE_VARIANCE = 0.2


def generate_data(T, rng=np.random):
    """Yield (x (T, 1), y (1,)) forever: x(1) = +1 with y = 1 or x(1) = -1 with y = 0, each with probability 1/2."""
    while True:
        first_class = rng.random() < 0.5
        x = rng.normal(0.0, np.sqrt(NOISE_VARIANCE), size=(T, 1))
        x[0, 0] = 1.0 if first_class else -1.0
        yield x, np.array([1.0 if first_class else 0.0])


def sample_batch(rng, n, T):
    """n sequences of the same distribution at once: X (n, T, 1), Y (n, 1), for the experiments and the grader."""
    first_class = rng.random(n) < 0.5
    X = rng.normal(0.0, np.sqrt(NOISE_VARIANCE), size=(n, T, 1))
    X[:, 0, 0] = np.where(first_class, 1.0, -1.0)
    return X, first_class.astype(float)[:, None]
