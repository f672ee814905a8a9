# A short run that finishes in seconds: T = 10, one gradient-descent step per sequence.
# The full-scale experiment (T = 100, several seeds) is `python -m reference.experiments ex7`.
T = 10
hidden_size = 32
eta = 1.0
n_train = 2000

model = LSTM(1, hidden_size)
data = generate_data(T)
start = time.perf_counter()
losses = []
for _ in range(n_train):
    x, y = next(data)
    model.zero_grad()
    losses.append(model.forward(x, y))
    model.backward()
    model.update(eta)
seconds = time.perf_counter() - start

# The loss is -log of the probability given to the true class: below log 2 exactly when the prediction is right.
correct = sum(model.forward(x, y) < np.log(2.0) for x, y in (next(data) for _ in range(1000)))
print(f"LSTM (BPTT), T = {T}: {n_train} training sequences in {seconds:.1f} s; "
      f"accuracy on 1000 fresh sequences: {correct / 1000:.3f}")

window = 100
plt.plot(np.convolve(losses, np.ones(window) / window, mode="valid"))
plt.xlabel("training sequence")
plt.ylabel(f"loss (mean over {window} sequences)")
plt.title(f"BPTT, T = {T}")
plt.show()
