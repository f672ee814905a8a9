"""Activation functions and their derivatives. Every derivative takes the pre-activation s, as the interface fixes."""

import numpy as np


def sigmoid(s):
    return 1.0 / (1.0 + np.exp(-s))


def sigmoid_derivative(s):
    a = sigmoid(s)
    return a * (1.0 - a)


def tanh(s):
    return np.tanh(s)


def tanh_derivative(s):
    return 1.0 - np.tanh(s) ** 2


def softsign(s):
    """An activation students never saw: used to check that a Gate's activation really is exchangeable."""
    return s / (1.0 + np.abs(s))


def softsign_derivative(s):
    return 1.0 / (1.0 + np.abs(s)) ** 2
