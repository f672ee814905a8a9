"""The experiments' outputs: what a run learned in words, Markdown and CSV tables, and plots of learning curves."""

import csv

from .training import TARGET_ACCURACY


def learned_text(result):
    if result.learned_at is not None:
        return f"{result.learned_at}"
    return f"not learned within {result.sequences} (acc {result.final_accuracy:.3f} at T={result.curve[-1][1]})"


def stages_text(result):
    restarts = "".join(f"restart at {n} (T={T}); " for n, T in result.restarts)
    return restarts + (", ".join(f"{T}: {n}" for T, n in result.passed) or "none passed")


def median_text(results):
    """Median of sequences needed; a run not learned counts as more than its budget."""
    values = sorted(r.learned_at if r.learned_at is not None else float("inf") for r in results)
    lower, upper = values[(len(values) - 1) // 2], values[len(values) // 2]
    if upper == float("inf"):
        return f"> {max(r.sequences for r in results)} (half or more not learned)"
    return f"{(lower + upper) / 2:g}"


def max_text(results):
    if any(r.learned_at is None for r in results):
        return f"> {max(r.sequences for r in results)}"
    return str(max(r.learned_at for r in results))


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_outputs(out_dir, stem, title, notes, header, rows):
    out_dir.mkdir(parents=True, exist_ok=True)
    text = f"# {title}\n\n" + "".join(f"{n}\n\n" for n in notes) + markdown_table(header, rows) + "\n"
    (out_dir / f"{stem}.md").write_text(text)
    with open(out_dir / f"{stem}.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    print(text)
    return text


def write_curves(path, panels):
    """The learning curves behind the PNG, one row per check."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["panel", "run", "sequences", "T", "accuracy at T", "mean training loss"])
        for panel, lines in panels.items():
            for run, curve in lines:
                writer.writerows([panel, run, n, T, f"{acc:.4f}", f"{loss:.4f}"] for n, T, acc, loss in curve)


def plot_curves(path, panels, title):
    """panels: {panel title: [(run label, curve)]}: the accuracy at the current length against training
    sequences, one colour per run; a dot where a run passed a length. Also writes the curves as CSV."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.5), squeeze=False)
    for ax, (panel, lines) in zip(axes[0], panels.items()):
        for k, (run, curve) in enumerate(lines):
            seqs, Ts, acc, _ = zip(*curve)
            ax.plot(seqs, acc, color=f"C{k % 10}", linewidth=1, label=run)
            passes = [(n, a) for j, (n, T, a, _) in enumerate(curve) if j + 1 < len(curve) and curve[j + 1][1] != T]
            if passes:
                ax.plot(*zip(*passes), "o", color=f"C{k % 10}", markersize=3)
        ax.axhline(TARGET_ACCURACY, color="grey", linestyle=":", linewidth=1)
        ax.set(
            title=panel,
            xlabel="training sequences (all lengths)",
            ylabel="accuracy at the current length",
            ylim=(0.4, 1.02),
        )
        ax.legend(fontsize="x-small", ncol=2, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    write_curves(path.with_name(path.stem + "_curves.csv"), panels)
