"""Exercise 7's data generator: protocol, shapes, labels and noise, by statistical tests on the grader's seed."""
import numpy as np
from scipy import stats

from reference.data import NOISE_VARIANCE

from .registry import Failed, check

SEED = 20261129
SAMPLES, LENGTH = 2000, 20


def samples(ctx):
    return ctx.student.data_samples(T=LENGTH, n=SAMPLES, seed=SEED)


@check("data.protocol", 7, 2, "generate_data", "generate_data(T) is a generator of (x (T, 1), y (1,)) pairs")
def protocol(ctx):
    got = samples(ctx)
    if not got.is_generator:
        raise Failed("generate_data(T) should be a generator (use yield) that produces one (x, y) pair at a time.")
    if not got.shapes_ok:
        raise Failed(f"generate_data({LENGTH}) should yield x of shape ({LENGTH}, 1) and y of shape (1,).")
    return "a generator of (x (T, 1), y (1,))"


@check("data.distribution", 7, 4, "generate_data",
       "x(1) = ±1 matching y, balanced labels, noise with mean 0 and variance 0.2 (statistical tests)")
def distribution(ctx):
    got = samples(ctx)
    X, Y = got.X[:, :, 0], got.Y[:, 0]
    if len(Y) < 200:
        raise Failed(f"generate_data({LENGTH}) gave only {len(Y)} sequences; it should keep yielding new ones.")
    if not np.array_equal(X[:, 0], np.where(Y == 1.0, 1.0, -1.0)) or not set(np.unique(Y)) <= {0.0, 1.0}:
        raise Failed("The first element must be +1 for label 1 and -1 for label 0, and the labels 1.0 or 0.0.")
    balance = stats.binomtest(int(Y.sum()), len(Y), 0.5).pvalue
    if balance < 1e-4:
        raise Failed(f"The labels are not balanced: {int(Y.sum())} of {len(Y)} are 1 (p = {balance:.1g}).")
    noise = X[:, 1:].ravel()
    variance, n = noise.var(ddof=1), noise.size
    chi2 = (n - 1) * variance / NOISE_VARIANCE
    p = 2 * min(stats.chi2.cdf(chi2, n - 1), stats.chi2.sf(chi2, n - 1))
    if p < 1e-4:
        hint = " (standard deviation 0.2 instead of variance 0.2? Use np.sqrt(0.2))" if abs(variance - 0.04) < 0.01 else ""
        raise Failed(f"The noise has variance {variance:.3f}; it should be 0.2{hint}.")
    if stats.ttest_1samp(noise, 0.0).pvalue < 1e-4:
        raise Failed(f"The noise has mean {noise.mean():.3f}; it should be 0.")
    return f"labels balanced, noise variance {variance:.3f}"
