"""The table of Benchmarks/nok/rules_on_runs.sh: every `nrcc run` folder's found k and ACC per
rule, then per kind of data (from the folder's name) the mean ACC and how many folders found k
within a factor 1.25 of the true k.

    python3 Benchmarks/nok/summarize_runs.py rules.jsonl
"""
import json
import sys
from collections import defaultdict

KINDS = ["fashion", "coil", "usps", "cifar", "vit"]


def kind(name):
    return next((k for k in KINDS if k in name), "digits")


def main(path):
    with open(path) as file:
        rows = [json.loads(line) for line in file if line.strip()]
    methods = list(dict.fromkeys(row["method"] for row in rows))
    by_run = defaultdict(dict)
    for row in rows:
        by_run[row["dataset"]][row["method"]] = row
    print("| run | k | " + " | ".join(m.replace("nrcc ", "") for m in methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    groups = defaultdict(list)
    for name, cells in by_run.items():
        if len(cells) < len(methods):
            continue
        groups[kind(name)].append(cells)
        groups["all"].append(cells)
        true_k = cells[methods[0]]["true_k"]
        print(f"| {name} | {true_k} | " + " | ".join(f"{cells[m]['found_k']}, {cells[m]['acc']:.3f}" for m in methods) + " |")
    print()
    print("| kind | runs | " + " | ".join(f"{m.replace('nrcc ', '')}: mean ACC, k within 1.25x" for m in methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    for group in sorted(groups, key=lambda g: (g == "all", g)):
        cells = groups[group]
        within = lambda m: sum(1 for c in cells if c[m]["true_k"] / 1.25 <= c[m]["found_k"] <= c[m]["true_k"] * 1.25)
        print(f"| {group} | {len(cells)} | " + " | ".join(
            f"{sum(c[m]['acc'] for c in cells) / len(cells):.3f}, {within(m)}" for m in methods) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
