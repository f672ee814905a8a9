"""The instructor's reference: every coded exercise of the LSTM assignment, in the template's interface."""

from .activations import sigmoid, sigmoid_derivative, softsign, softsign_derivative, tanh, tanh_derivative
from .data import NOISE_VARIANCE, generate_data
from .gate import Gate
from .lstm import LSTM
from .rtrl import LSTM_RTRL

__all__ = [
    "Gate",
    "LSTM",
    "LSTM_RTRL",
    "generate_data",
    "NOISE_VARIANCE",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
    "softsign",
    "softsign_derivative",
]
