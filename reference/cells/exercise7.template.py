# Exercise 7: train an LSTM(1, 32) at T = 100 and report its accuracy on 1000 fresh sequences.
T = 100
hidden_size = 32
# TODO: choose a learning rate and a number of training sequences, train, then evaluate.
