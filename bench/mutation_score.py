"""Mutation score of the grader: how many mutants of the solution's graded code lose points, and where.

Generates the mutants of submissions/mutants.py, sets aside the equivalent ones (same outputs and gradients as the
solution to 1e-12 on drawn problems, initial weights from the same distribution, float32 ones to float32 precision:
submissions/equivalence.py, decided in-process), grades every other one as a notebook (the solution with
that cell replaced; the `experiment` cells are dropped to save their training time, since no check reads what they
print) with grader.pipeline.grade_notebook in worker processes, and prints per exercise and overall: mutants,
equivalent, non-equivalent, killed (some exercise lost points), killed in the right exercise (the mutated cell's
exercise lost points), charged to another exercise only, survivors, and the score killed / non-equivalent; then
the same per operator family, which checks did the killing, and every survivor with its line before and after and
the behaviour that makes it non-equivalent. The unmutated notebook is graded first as a control: it must get full
marks, or every mutant would look killed.

Usage: python bench/mutation_score.py [--sample N] [--only ID ...] [--workers N] [--save DIR [--resume]]
                                      [--load DIR] [--grader DIR]
  --sample N    a deterministic sample of N mutants, spread over the exercises
  --only ID...  just these mutants
  --save DIR    write the verdicts and every grade as JSON (grades as they finish); --resume keeps what DIR holds
  --load DIR    report on what --save wrote, without grading
  --grader DIR  grade with the grader (and reference) of another checkout, e.g. a `git worktree` snapshot, and
                mutate that checkout's solution notebook
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions"))  # also reaches the spawned workers, which inherit sys.path

import equivalence  # noqa: E402
import mutants  # noqa: E402

CONTROL = "_unmutated"


def use_grader(directory):
    """Put another checkout's grader first on sys.path (before anything imports it) and check that it is the one;
    mutate that checkout's solution notebook too (the environment reaches the workers)."""
    os.environ["MUTANTS_SOLUTION"] = str(directory / "reference" / "solution.ipynb")
    sys.path.insert(0, str(directory))
    import grader

    found = Path(grader.__file__).resolve().parents[1]
    if found != directory.resolve():
        raise SystemExit(f"`import grader` resolves to {found}, not {directory}")
    print(f"grading with the grader in {found}, mutating {os.environ['MUTANTS_SOLUTION']}", file=sys.stderr)


def worker_setup():
    import resource

    os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def check_equivalence(mutant):
    start = time.perf_counter()
    verdict = equivalence.equivalence(mutant)
    return {
        "equivalent": verdict.equivalent,
        "how": verdict.how,
        "differs": list(verdict.differs),
        "seconds": round(time.perf_counter() - start, 3),
    }


def grade(mutant, directory):
    """The grader's JSON result for the mutant's notebook (None: the unmutated one), or {"crash": traceback}."""
    import traceback

    import nbformat

    import grader
    from grader.pipeline import grade_notebook
    from grader.report import as_json

    path = Path(directory) / f"{safe(mutant.id if mutant else CONTROL)}.ipynb"
    nbformat.write(mutants.notebook(mutant), path)
    start = time.perf_counter()
    try:
        result = as_json(grade_notebook(path))
    except Exception:
        result = {"crash": traceback.format_exc()}
    return result | {"seconds": round(time.perf_counter() - start, 1), "grader": str(Path(grader.__file__).parent)}


def safe(mutant_id):
    return mutant_id.replace(":", "_")


def sample(all_mutants, n, seed=0):
    """n mutants, taken in turn from each exercise's shuffled list (deterministic)."""
    pools = {}
    for m in all_mutants:
        pools.setdefault(m.exercise, []).append(m)
    for k, pool in enumerate(pools.values()):
        random.Random(seed + k).shuffle(pool)
    chosen = []
    while len(chosen) < min(n, len(all_mutants)):
        for pool in pools.values():
            if pool and len(chosen) < n:
                chosen.append(pool.pop())
    return sorted(chosen, key=all_mutants.index)


def run_pool(function, jobs, workers, done, what, initializer=None):
    """Run function(*args) for every (key, args) of jobs in worker processes; done(key, result) as each finishes."""
    if not jobs:
        return
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=initializer) as pool:
        futures = {pool.submit(function, *args): key for key, args in jobs}
        for k, future in enumerate(as_completed(futures), 1):
            try:
                result = future.result()
            except Exception as error:  # a worker that died: the verdict says so instead of stopping the run
                result = {
                    "crash": f"{type(error).__name__}: {error}",
                    "equivalent": False,
                    "differs": [f"the worker died: {error}"],
                }
            done(futures[future], result)
            if k % 25 == 0 or k == len(futures):
                print(
                    f"  {what}: {k}/{len(futures)} after {time.perf_counter() - start:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )


# ------------------------------------------------------------------------------------------------ the report


def lost(result, exercise):
    got = result.get("exercises", {}).get(str(exercise))
    return got is not None and got["score"] < got["max_score"]


def fate(mutant, verdict, result):
    """equivalent | not graded | crash | right (own exercise lost points) | other (only others did) | survived."""
    if verdict["equivalent"]:
        return "equivalent"
    if result is None:
        return "not graded"
    if "crash" in result:
        return "crash"
    if lost(result, mutant.exercise):
        return "right"
    return "other" if any(lost(result, e) for e in result["exercises"]) else "survived"


def table(title, groups, fates):
    print(
        f"\n{title:<16}{'mutants':>8}{'equiv':>7}{'non-eq':>8}{'killed':>8}{'right ex':>9}{'other only':>11}"
        f"{'survived':>9}{'score':>8}{'right':>8}"
    )
    for name, members in groups:
        count = Counter(fates[m.id] for m in members)
        non_equivalent = len(members) - count["equivalent"] - count["not graded"]
        killed = count["right"] + count["other"]
        score = f"{killed / non_equivalent:.1%}" if non_equivalent else "-"
        right = f"{count['right'] / non_equivalent:.1%}" if non_equivalent else "-"
        print(
            f"{name:<16}{len(members):>8}{count['equivalent']:>7}{non_equivalent:>8}{killed:>8}{count['right']:>9}"
            f"{count['other']:>11}{count['survived'] + count['crash']:>9}{score:>8}{right:>8}"
        )


def report(chosen, verdicts, results, timing):
    fates = {m.id: fate(m, verdicts[m.id], results.get(m.id)) for m in chosen}
    exercises = sorted({m.exercise for m in chosen})
    table("exercise", [(str(e), [m for m in chosen if m.exercise == e]) for e in exercises] + [("all", chosen)], fates)
    families = [f for f in mutants.FAMILIES if any(m.family == f for m in chosen)]
    table("family", [(f, [m for m in chosen if m.family == f]) for f in families], fates)
    print("(score = killed / non-equivalent; right = killed in the mutated cell's exercise / non-equivalent)")
    kinds = Counter(verdicts[m.id].get("how", "numerically") for m in chosen if fates[m.id] == "equivalent")
    print("equivalent: " + (", ".join(f"{n} {how}" for how, n in kinds.most_common()) or "none"))
    for m in chosen:
        if fates[m.id] == "equivalent" and verdicts[m.id].get("how", "numerically") != "numerically":
            print(f"  {verdicts[m.id]['how']}: {m.id}  {m.before}  ->  {m.after}")
    missing = [m.id for m in chosen if fates[m.id] == "not graded"]
    if missing:
        print(f"{len(missing)} non-equivalent mutants not graded yet (left out above)")

    print("\n== the checks that failed, for mutants killed in their own exercise (a mutant may fail several)")
    failed = Counter(
        c["id"]
        for m in chosen
        if fates[m.id] == "right"
        for c in results[m.id]["checks"]
        if not c["passed"] and c["exercise"] == m.exercise
    )
    print("  " + ", ".join(f"{check} {n}" for check, n in failed.most_common()))

    for kind, heading in (
        ("survived", "survivors: no exercise lost points"),
        ("other", "charged to another exercise only"),
        ("crash", "the grader crashed"),
    ):
        listed = [m for m in chosen if fates[m.id] == kind]
        print(f"\n== {heading} ({len(listed)})")
        for m in listed:
            print(f"{m.id}  [{m.family}]\n    {m.before}\n -> {m.after}")
            if kind == "other":
                print(
                    "    lost points in exercise(s) "
                    + ", ".join(e for e in results[m.id]["exercises"] if lost(results[m.id], e))
                )
            if kind == "crash":
                print("    " + results[m.id]["crash"].strip().splitlines()[-1])
            for line in verdicts[m.id]["differs"]:
                print(f"    not equivalent: {line}")

    graded = [results[m.id]["seconds"] for m in chosen if m.id in results]
    print(
        f"\n== time\nequivalence: {timing.get('equivalence', 0):.0f} s for {len(chosen)} mutants; grading: "
        f"{timing.get('grading', 0):.0f} s wall for {len(graded)} notebooks"
        + (
            f" (per notebook: median {sorted(graded)[len(graded) // 2]:.0f} s, max {max(graded):.0f} s)"
            if graded
            else ""
        )
    )


# ------------------------------------------------------------------------------------------------ main


def load(directory):
    def read(name):
        return json.loads((directory / name).read_text()) if (directory / name).exists() else {}

    results = {p.stem: json.loads(p.read_text()) for p in (directory / "grades").glob("*.json")}
    return read("equivalence.json"), results, read("timing.json")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int)
    parser.add_argument("--only", nargs="+", metavar="ID")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--resume", action="store_true", help="with --save: keep the verdicts and grades DIR holds")
    parser.add_argument("--load", type=Path)
    parser.add_argument("--grader", type=Path, help="a checkout whose grader/ and reference/ grade the mutants")
    args = parser.parse_args(argv)
    if args.grader:
        use_grader(args.grader)

    every = mutants.generate()
    print(
        f"{len(every)} mutants generated: "
        + ", ".join(f"{f} {n}" for f, n in Counter(m.family for m in every).most_common()),
        file=sys.stderr,
    )
    chosen = (
        [m for m in every if m.id in set(args.only)]
        if args.only
        else sample(every, args.sample)
        if args.sample
        else every
    )
    if args.only and len(chosen) < len(set(args.only)):
        raise SystemExit(f"no such mutant: {sorted(set(args.only) - {m.id for m in chosen})}")

    if args.load:
        verdicts, saved, timing = load(args.load)
        chosen = [m for m in chosen if m.id in verdicts]
        report(chosen, verdicts, {m.id: saved[safe(m.id)] for m in chosen if safe(m.id) in saved}, timing)
        return 0

    verdicts, saved, timing = load(args.save) if args.save and args.resume else ({}, {}, {})
    results = {m.id: saved[safe(m.id)] for m in chosen if safe(m.id) in saved}
    if args.save:
        (args.save / "grades").mkdir(parents=True, exist_ok=True)
        (args.save / "mutants.json").write_text(
            json.dumps(
                [
                    {"id": m.id, "exercise": m.exercise, "family": m.family, "before": m.before, "after": m.after}
                    for m in every
                ],
                indent=1,
                ensure_ascii=False,
            )
        )

    start = time.perf_counter()
    run_pool(
        check_equivalence,
        [(m.id, (m,)) for m in chosen if m.id not in verdicts],
        args.workers,
        verdicts.__setitem__,
        "equivalence",
        worker_setup,
    )
    timing["equivalence"] = timing.get("equivalence", 0) + time.perf_counter() - start
    if args.save:
        (args.save / "equivalence.json").write_text(json.dumps(verdicts, indent=1, ensure_ascii=False))

    def graded(key, result):
        if key == CONTROL:
            full = "crash" not in result and result["score"] == result["max_score"]
            if not full:
                raise SystemExit(f"the unmutated solution does not get full marks: {json.dumps(result)[:2000]}")
        else:
            results[key] = result
        if args.save:
            (args.save / "grades" / f"{safe(key)}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutants-") as directory:
        run_pool(grade, [(CONTROL, (None, directory))], 1, graded, "control")
        jobs = [(m.id, (m, directory)) for m in chosen if not verdicts[m.id]["equivalent"] and m.id not in results]
        run_pool(grade, jobs, args.workers, graded, "grading")
    timing["grading"] = timing.get("grading", 0) + time.perf_counter() - start
    if args.save:
        (args.save / "timing.json").write_text(json.dumps(timing))
    report(chosen, verdicts, results, timing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
