"""How well the grader grades the sample submissions: grades the corpus twice (two worker processes) and prints

- bugs caught in the right exercise with the right diagnosis, over all buggy submissions, naming every miss;
- correct submissions given less than full marks (must be 0), and incomplete ones graded otherwise than expected;
- grades that differ between the two runs (must be 0; the JSON of grader.report.as_json without the checks'
  "seconds" and without "printed", the student's own output, which may contain their own timings);
- the total time.

Usage: python bench/grader_accuracy.py [NAME ...] [--runs N] [--workers N] [--save DIR] [--load DIR] [--against DIR]
(default: every submission in submissions/, 2 runs, 2 workers; --save writes every run's JSON, --load reports on
JSON saved earlier instead of grading, --against compares the first run with JSON another version of the grader
saved, to show a change that must not change behaviour did not).
"""

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions"))  # also reaches the spawned workers, which inherit sys.path

import expectations  # noqa: E402

from grader.report import comparable  # noqa: E402

DIAGNOSIS_CATEGORY = "diagnosis"


def timed_grade(name):
    start = time.perf_counter()
    result = expectations.grade(name)
    return result, time.perf_counter() - start


def grade_all(names, runs, workers):
    """{run: {name: result}} and {name: seconds of the first run}; all runs share one pool."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {(run, name): pool.submit(timed_grade, name) for run in range(runs) for name in names}
        results, seconds = {run: {} for run in range(runs)}, {}
        for (run, name), future in futures.items():
            results[run][name], spent = future.result()
            if run == 0:
                seconds[name] = spent
            print(f"  graded {name} (run {run + 1}) in {spent:.0f} s", file=sys.stderr, flush=True)
    return results, seconds


def report(names, results, seconds, total, against=None):
    first = results[0]
    by_kind = {}
    for name in names:
        by_kind.setdefault(expectations.expected(name)["kind"], []).append(name)

    print("\n== bugs: caught in the right exercise with the right diagnosis")
    bugs = by_kind.get("bug", [])
    misses = {name: expectations.mismatches(expectations.expected(name), first[name]) for name in bugs}
    wrong_place = [n for n, m in misses.items() if any(not line.startswith(DIAGNOSIS_CATEGORY) for line in m)]
    wrong_words = [n for n, m in misses.items() if m and n not in wrong_place]
    caught = [n for n, m in misses.items() if not m]
    print(
        f"caught: {len(caught)}/{len(bugs)} bugs ({len(bugs) - len(wrong_place)}/{len(bugs)} in the right "
        f"exercises, {len(wrong_words)} of those without the expected diagnosis)"
    )
    for name in bugs:
        if misses[name]:
            print(f"  MISS {name}: {expectations.expected(name)['description']}")
            for line in misses[name]:
                print(f"       {line}")

    print("\n== correct submissions given less than full marks (must be 0)")
    correct = by_kind.get("correct", [])
    short = [n for n in correct if expectations.mismatches(expectations.expected(n), first[n])]
    print(f"{len(short)} of {len(correct)}")
    for name in short:
        result = first[name]
        print(f"  {name}: {result.get('score', 'crash')}/{result.get('max_score', '?')}")
        for line in expectations.mismatches(expectations.expected(name), result):
            print(f"       {line}")

    incomplete = by_kind.get("incomplete", [])
    if incomplete:
        print("\n== incomplete submissions graded otherwise than expected")
        off = [n for n in incomplete if expectations.mismatches(expectations.expected(n), first[n])]
        print(f"{len(off)} of {len(incomplete)}")
        for name in off:
            for line in expectations.mismatches(expectations.expected(name), first[name]):
                print(f"  {name}: {line}")

    if len(results) > 1:
        print(f"\n== grades that differ between the {len(results)} runs (must be 0)")
        differ = [n for n in names if any(comparable(results[r][n]) != comparable(first[n]) for r in results)]
        print(f"{len(differ)} of {len(names)}")
        for name in differ:
            print(f"  {name}: " + "; ".join(differences(first[name], results[r][name]) for r in results if r))
        printed = [
            n
            for n in names
            if n not in differ and any(results[r][n].get("printed") != first[n].get("printed") for r in results)
        ]
        if printed:
            print(f"(the student's own printed output differs for {len(printed)}, e.g. their timings: not a grade)")

    if against is not None:
        print("\n== grades that differ from the saved ones (--against)")
        differ = [n for n in names if comparable(against[n]) != comparable(first[n])]
        print(f"{len(names) - len(differ)} of {len(names)} identical")
        for name in differ:
            print(f"  {name}: {differences(against[name], first[name])}")

    print("\n== time")
    print(
        f"total {total:.0f} s for {len(results)} x {len(names)} gradings; per notebook (first run): "
        f"median {sorted(seconds.values())[len(seconds) // 2]:.0f} s, max {max(seconds.values()):.0f} s "
        f"({max(seconds, key=seconds.get)})"
    )
    return len(short) == 0 and (len(results) == 1 or not differ)


def differences(a, b):
    a, b = comparable(a), comparable(b)
    if "checks" not in a or "checks" not in b:
        return "one run crashed"
    out = [f"{x['id']}: {x['message']!r} vs {y['message']!r}" for x, y in zip(a["checks"], b["checks"]) if x != y]
    out += [f"{key} differs" for key in a if key != "checks" and a[key] != b.get(key)]
    return ", ".join(out)


def load(directory, names):
    """Results, per-notebook seconds and total time as saved by --save."""
    runs = sorted({int(p.name.rsplit(".run", 1)[1].split(".")[0]) for p in directory.glob("*.run*.json")})
    results = {run - 1: {n: json.loads((directory / f"{n}.run{run}.json").read_text()) for n in names} for run in runs}
    saved = directory / "seconds.json"
    timing = json.loads(saved.read_text()) if saved.exists() else {"total": 0.0, "first_run": {n: 0.0 for n in names}}
    return results, {n: timing["first_run"].get(n, 0.0) for n in names}, timing["total"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="submissions to grade (default: all)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", type=Path, help="write every run's JSON result to this directory")
    parser.add_argument("--load", type=Path, help="report on the JSON that --save wrote there, without grading")
    parser.add_argument("--against", type=Path, help="compare the first run with the JSON --save wrote there")
    args = parser.parse_args(argv)
    names = args.names or expectations.names()
    against = load(args.against, names)[0][0] if args.against else None
    if args.load:
        return 0 if report(names, *load(args.load, names), against=against) else 1
    start = time.perf_counter()
    results, seconds = grade_all(names, args.runs, args.workers)
    total = time.perf_counter() - start
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for run, graded in results.items():
            for name, result in graded.items():
                (args.save / f"{name}.run{run + 1}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
        (args.save / "seconds.json").write_text(json.dumps({"total": total, "first_run": seconds}, indent=1))
    return 0 if report(names, results, seconds, total, against) else 1


if __name__ == "__main__":
    sys.exit(main())
