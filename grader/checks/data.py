"""Exercise 7's data generator: protocol, shapes, labels and noise, by statistical tests on the grader's seed.

Every test's threshold is a p-value of 1e-4 or less, so that a correct generator fails one by chance less than
once in ten thousand gradings; the grader's seed makes the verdict the same in every grading.
"""

import numpy as np
from scipy import stats

from reference.data import NOISE_VARIANCE

from .registry import Failed, check

SEED = 20261129
SAMPLES, LENGTH = 2000, 20
P_VALUE = 1e-4


def samples(ctx):
    return ctx.student.data_samples(T=LENGTH, n=SAMPLES, seed=SEED)


@check("data.protocol", 7, 2, "generate_data", "generate_data(T) is a generator of (x (T, 1), y (1,)) pairs, forever")
def protocol(ctx):
    got = samples(ctx)
    if not got.is_generator:
        raise Failed("generate_data(T) should be a generator (use yield) that produces one (x, y) pair at a time.")
    if got.calls > 1:
        raise Failed(
            f"generate_data({LENGTH}) stopped after {len(got.Y) / got.calls:.0f} pair(s) (the grader called "
            f"it {got.calls} times to get {len(got.Y)}); it should keep yielding new pairs (while True)."
        )
    if not got.shapes_ok:
        raise Failed(f"generate_data({LENGTH}) should yield x of shape ({LENGTH}, 1) and y of shape (1,).")
    return "a generator of (x (T, 1), y (1,))"


@check(
    "data.distribution",
    7,
    3,
    "generate_data",
    "x(1) = ±1 matching y, balanced labels, Gaussian noise with mean 0 and variance 0.2 (statistical tests)",
)
def distribution(ctx):
    got = samples(ctx)
    X, Y = got.X[:, :, 0], got.Y[:, 0]
    if len(Y) < 200:
        raise Failed(f"generate_data({LENGTH}) gave only {len(Y)} sequences; it should keep yielding new ones.")
    if not np.array_equal(X[:, 0], np.where(Y == 1.0, 1.0, -1.0)) or not set(np.unique(Y)) <= {0.0, 1.0}:
        raise Failed("The first element must be +1 for label 1 and -1 for label 0, and the labels 1.0 or 0.0.")
    balance = stats.binomtest(int(Y.sum()), len(Y), 0.5).pvalue
    if balance < P_VALUE:
        raise Failed(f"The labels are not balanced: {int(Y.sum())} of {len(Y)} are 1 (p = {balance:.1g}).")
    noise = X[:, 1:].ravel()
    variance, n = noise.var(ddof=1), noise.size
    chi2 = (n - 1) * variance / NOISE_VARIANCE
    if 2 * min(stats.chi2.cdf(chi2, n - 1), stats.chi2.sf(chi2, n - 1)) < P_VALUE:
        hint = (
            " (standard deviation 0.2 instead of variance 0.2? Use np.sqrt(0.2))" if abs(variance - 0.04) < 0.01 else ""
        )
        raise Failed(f"The noise has variance {variance:.3f}; it should be 0.2{hint}.")
    if stats.ttest_1samp(noise, 0.0).pvalue < P_VALUE:
        raise Failed(f"The noise has mean {noise.mean():.3f}; it should be 0.")
    normal = stats.kstest(noise, stats.norm(0.0, np.sqrt(NOISE_VARIANCE)).cdf).pvalue
    if normal < P_VALUE:
        raise Failed(
            f"The noise has the right mean and variance but is not Gaussian (Kolmogorov-Smirnov test against "
            f"N(0, 0.2): p = {normal:.1g}); draw it with np.random.normal."
        )
    return f"labels balanced, Gaussian noise of variance {variance:.3f}"


def lag_correlation(a, b):
    """Pearson correlation of paired samples and its z-score under independence (about N(0, 1) for large n)."""
    r = np.corrcoef(a, b)[0, 1]
    return r, r * np.sqrt(len(a))


@check(
    "data.independence",
    7,
    1,
    "generate_data",
    "labels and noise independent: from sequence to sequence, from step to step, of each other, and from call to call",
)
def independence(ctx):
    got = samples(ctx)
    X, Y = got.X[:, :, 0], got.Y[:, 0]
    noise = X[:, 1:]
    z_limit = stats.norm.isf(P_VALUE / 2)
    tests = {
        "the labels of consecutive sequences": lag_correlation(Y[:-1], Y[1:]),
        "the noise of consecutive sequences": lag_correlation(noise[:-1].ravel(), noise[1:].ravel()),
        "the noise of consecutive steps": lag_correlation(noise[:, :-1].ravel(), noise[:, 1:].ravel()),
        "the label and the noise": lag_correlation(np.repeat(Y, noise.shape[1]), noise.ravel()),
    }
    first = X[: len(got.X_again)]
    if len(first) and np.array_equal(got.X_again, first):
        raise Failed(
            "Calling generate_data again gives the very sequences the first call gave (does it seed the random "
            "generator inside?), so a test set would repeat the training set: seed once, outside generate_data."
        )
    for what, (r, z) in tests.items():
        if not abs(z) < z_limit:
            raise Failed(
                f"{what[0].upper()}{what[1:]} are correlated (r = {r:.2f}, z = {z:.1f}); every label and "
                f"every noise value must be drawn afresh and independently."
            )
    return "labels and noise drawn independently"
