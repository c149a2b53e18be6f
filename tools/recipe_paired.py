#!/usr/bin/env python3
"""recipe_paired.py A/results.json B/results.json [MODEL_A [MODEL_B]] : the paired difference, over the
repeats of two geoprosp-eval runs on the same folds, of MODEL_B's mean ROC AUC in B minus MODEL_A's in A
(default resgcn for both), with its 95 % Student-t interval. With A = B it pairs two models of one run
(e.g. ResGCN against logistic regression)."""
import json
import statistics
import sys
from math import sqrt

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def repeat_means(path, name):
    model = next(m for m in json.load(open(path))["models"] if m["name"] == name)
    by_repeat = {}
    for fold in model["folds"]:
        if fold.get("scored"):
            by_repeat.setdefault(fold["repeat"], []).append(fold["roc_auc"])
    return {r: statistics.mean(v) for r, v in by_repeat.items()}


model_a = sys.argv[3] if len(sys.argv) > 3 else "resgcn"
model_b = sys.argv[4] if len(sys.argv) > 4 else model_a
a, b = repeat_means(sys.argv[1], model_a), repeat_means(sys.argv[2], model_b)
d = [b[r] - a[r] for r in sorted(a) if r in b]
mean = statistics.mean(d)
half = T975[len(d) - 1] * statistics.stdev(d) / sqrt(len(d)) if 1 < len(d) <= 10 else float("nan")
print(f"{model_b} - {model_a}: {mean:+.3f} ({mean - half:+.3f} to {mean + half:+.3f}), {len(d)} repeats; "
      + " ".join(f"{x:+.3f}" for x in d))
