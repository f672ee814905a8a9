"""Hypothesis strategies for the reference's tests: network sizes, weight scales, sequences."""

import numpy as np
from hypothesis import strategies as st

sizes = st.integers(min_value=1, max_value=6)
lengths = st.integers(min_value=1, max_value=12)
weight_scales = st.floats(min_value=0.05, max_value=2.0)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def problems(draw, min_length=1, min_scale=0.05):
    """A network shape, weight scale and one random sequence with its label."""
    D, I, T = draw(sizes), draw(sizes), draw(st.integers(min_value=min_length, max_value=12))
    scale = draw(st.floats(min_value=min_scale, max_value=2.0))
    rng = np.random.default_rng(draw(seeds))
    return dict(
        D=D, I=I, T=T, scale=scale, rng=rng, x=rng.normal(size=(T, D)), y=rng.integers(0, 2, size=1).astype(float)
    )
