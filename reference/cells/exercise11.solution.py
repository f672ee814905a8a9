# RTRL under exercise 7's recipe (the same curriculum, rate, minibatches and checks), beside BPTT's run above.
def run_sequence(model, x, y=None):
    """Feed x (T, D) step by step from a fresh state, with the target (if any) at the last step; return y_hat(T)."""
    model.reset()
    for t, x_t in enumerate(x):
        y_hat = model.forward(x_t, y if t == len(x) - 1 else None)
    return y_hat


def rtrl_learns(model, x, y):
    run_sequence(model, x, y)  # the gradient is added up online, at the target


def rtrl_is_right(model, x, y):
    return (run_sequence(model, x)[0] > 0.5) == (y[0] > 0.5)


np.random.seed(0)
rtrl_model = LSTM_RTRL(1, hidden_size)
start = time.perf_counter()
rtrl_passed, rtrl_history = train_curriculum(rtrl_model, rtrl_learns, rtrl_is_right)
report("LSTM_RTRL", rtrl_passed, rtrl_history, time.perf_counter() - start)

for name, runs in (("BPTT", history), ("RTRL", rtrl_history)):
    plt.step([n for n, _, _ in runs], [T for _, T, _ in runs], where="post", label=name)
plt.xlabel("training sequences")
plt.ylabel("sequence length T trained on")
plt.legend()
plt.title("RTRL and BPTT climbing the same curriculum")
plt.show()
