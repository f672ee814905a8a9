# Exercise 11: train LSTM_RTRL for T = 1, 2, ... and report the accuracy on 1000 fresh sequences for each T.
hidden_size = 32
# TODO: your experiments.
