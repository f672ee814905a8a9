import time

import matplotlib.pyplot as plt
import numpy as np

np.random.seed(0xDEADBEEF)
