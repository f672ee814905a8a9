# A short run that finishes in seconds: RTRL at T = 10, one gradient-descent step per sequence.
# The sweep from T = 1 upwards, with BPTT alongside, is `python -m reference.experiments ex11`.
T = 10
hidden_size = 32
eta = 0.5
n_train = 3000


def run_sequence(model, x, y=None):
    """Feed x (T, D) step by step from a fresh state, with the target (if any) at the last step; return y_hat(T)."""
    model.reset()
    for t, x_t in enumerate(x):
        y_hat = model.forward(x_t, y if t == len(x) - 1 else None)
    return y_hat


rtrl_model = LSTM_RTRL(1, hidden_size)
data = generate_data(T)
start = time.perf_counter()
for _ in range(n_train):
    x, y = next(data)
    rtrl_model.zero_grad()
    run_sequence(rtrl_model, x, y)
    rtrl_model.update(eta)
seconds = time.perf_counter() - start

correct = sum((run_sequence(rtrl_model, x)[0] > 0.5) == (y[0] > 0.5) for x, y in (next(data) for _ in range(1000)))
print(f"LSTM_RTRL, T = {T}: {n_train} training sequences in {seconds:.1f} s; "
      f"accuracy on 1000 fresh sequences: {correct / 1000:.3f}")
