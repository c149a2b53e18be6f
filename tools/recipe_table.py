#!/usr/bin/env python3
"""recipe_table.py AREA RECIPE... (after tools/recipe_evidence.sh, in the same folder) : one markdown table per area: each recipe's models, mean ROC AUC over repeats
with its 95 % interval, and ResGCN's paired difference against the best classical baseline."""
import json, sys, os
area = sys.argv[1]
rows = []
print("| recipe | ResGCN ROC AUC (95 % CI) | MLP | logistic regression | RBF SVM | KNN | ResGCN − best classical (95 % CI) | best classical | folds unscored |")
print("|---|---|---|---|---|---|---|---|---|")
for recipe in sys.argv[2:]:
    path = f"{area}/{recipe}/results.json"
    if not os.path.exists(path):
        continue
    r = json.load(open(path))
    by = {m["name"]: m for m in r["models"]}
    def ci(m):
        i = m.get("roc_auc_interval")
        if i: return f"{i['mean']:.3f} ({i['low']:.3f}–{i['high']:.3f})"
        return f"{m['mean']['roc_auc']:.3f}"
    g = by["resgcn"]
    d = g.get("roc_auc_difference")
    diff = f"{d['mean']:+.3f} ({d['low']:+.3f} to {d['high']:+.3f})" if d else "—"
    cells = [ci(by[n]) if n in by else "—" for n in ("resgcn", "mlp", "logreg", "svm-rbf", "knn")]
    print(f"| {recipe} | " + " | ".join(cells) + f" | {diff} | {g.get('baseline','')} | {g.get('folds_unscored',0)} |")
