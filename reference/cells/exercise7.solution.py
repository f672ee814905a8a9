# The recipe: a curriculum over T. Train on short sequences first and move to the next length once 99 % of 500
# fresh sequences of the current length are right. A new length is checked before any training on it, so a network
# whose cells have latched the first input passes the longer lengths at once. The last length is judged on 1000
# fresh sequences, never trained on: the run has learned the task when 99 % of them are right.
# Minibatches of 16: backward adds up the gradients of 16 sequences, then one update at rate eta / 16 (rate eta on
# the mean gradient).
# Straight at T = 100 most initial weights never leave chance: reference/answers.md (exercise 7) says why, and
# `python -m reference.experiments ex7 --T 100` measures both recipes over ten seeds.
STAGES = [2, 5, 10, 20, 30, 50, 70, 100]
hidden_size, eta, batch = 32, 10.0, 16


def lstm_learns(model, x, y):
    model.forward(x, y)
    model.backward()


def lstm_is_right(model, x, y):
    # The loss is -log of the probability given to the true class: below log 2 exactly when the prediction is right.
    return model.forward(x, y) < np.log(2.0)


def accuracy(model, is_right, T, n):
    data = generate_data(T)
    return np.mean([is_right(model, *next(data)) for _ in range(n)])


def train_curriculum(model, learns, is_right, check_every=1024, check_size=500, budget=30_000):
    """Train through STAGES; return [(T, training sequences seen when T was passed)] and [(sequences, T, accuracy)]."""
    seen, passed, history = 0, [], []
    for T in STAGES:
        data, size = generate_data(T), 1000 if T == STAGES[-1] else check_size
        history.append((seen, T, accuracy(model, is_right, T, size)))
        while history[-1][2] < 0.99 and seen < budget:
            for _ in range(check_every // batch):
                model.zero_grad()
                for _ in range(batch):
                    learns(model, *next(data))
                model.update(eta / batch)
            seen += check_every
            history.append((seen, T, accuracy(model, is_right, T, size)))
        if history[-1][2] < 0.99:
            break
        passed.append((T, seen))
    return passed, history


def report(name, passed, history, seconds):
    steps = ", ".join(f"{T}: {n}" for T, n in passed)
    print(f"{name}: passed (T: training sequences so far) {steps}; {history[-1][0]} training sequences in "
          f"{seconds:.1f} s; accuracy on 1000 fresh sequences of length {history[-1][1]}: {history[-1][2]:.3f}")


np.random.seed(0)
model = LSTM(1, hidden_size)
start = time.perf_counter()
passed, history = train_curriculum(model, lstm_learns, lstm_is_right)
report("LSTM (BPTT)", passed, history, time.perf_counter() - start)

sequences, lengths, accuracies = zip(*history)
plt.step(sequences, accuracies, where="post", label="accuracy at the current T")
plt.xlabel("training sequences")
plt.ylabel("accuracy on 500 fresh sequences")
plt.title(f"BPTT, curriculum T = {' → '.join(map(str, STAGES))}")
plt.show()
