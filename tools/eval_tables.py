#!/usr/bin/env python3
"""Prints docs/results.md's tables for one geoprosp-eval run from its results.json.

    python3 tools/eval_tables.py out/eval-hunan-spatial/results.json
"""
import json
import sys


def pct(mean, sd, key):
    return f"{100 * mean[key]:.1f} ± {100 * sd[key]:.1f}"


def auc(mean, sd, key):
    return f"{mean[key]:.3f} ± {sd[key]:.3f}"


def confusion(c):
    return f"{c['tn']} / {c['fp']} / {c['fn']} / {c['tp']}" if c else "—"


def main(path):
    r = json.load(open(path))
    d, s, t = r["data"], r["settings"], r["timing"]
    unit = s.get("block_size_unit", "metre")  # results.json before the unit was named: metres
    size = f"{s['block_size']:.0f} m" if unit == "metre" else f"{s['block_size']:g} {unit}"
    blocks = f", blocks of {size}" if r["protocol"] == "spatial" else ""
    print(f"{d['valid_cells']} valid cells, {d['positive_cells']} deposit cells, {d['negative_cells']} background "
          f"cells; {s['folds']} folds{blocks}; epochs ≤ {s['epochs']}, patience {s['patience']}; total "
          f"{t['total_seconds'] / 60:.1f} min (CV {t['cross_validation_seconds'] / 60:.1f} min, of which fold data "
          f"{t['fold_data_seconds'] / 60:.1f} min; map {t['map_seconds']:.0f} s)")
    print()
    if r["models"]:
        print("| model | accuracy % | sensitivity % | specificity % | F1 % | ROC AUC | PR AUC | success AUC | time (s) "
              "| study acc. / sens. / spec. / F1 |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for m in r["models"]:
            mean, sd, st = m["mean"], m["sd"], m["study"]
            study = " / ".join(f"{100 * st[k]:.1f}" for k in ("accuracy", "sensitivity", "specificity", "f1")) if st else "—"
            print(f"| {m['label']} | {pct(mean, sd, 'accuracy')} | {pct(mean, sd, 'sensitivity')} | "
                  f"{pct(mean, sd, 'specificity')} | {pct(mean, sd, 'f1')} | {auc(mean, sd, 'roc_auc')} | "
                  f"{auc(mean, sd, 'pr_auc')} | {auc(mean, sd, 'success_auc')} | {m['seconds']:.0f} | {study} |")
        print()
    a = r["augmentation"]
    if a:
        print(f"Augmentation comparison ({a['label']}); confusion summed over the test folds:")
        print()
        print("| augmentation | accuracy % | sensitivity % | specificity % | F1 % | ROC AUC | TN / FP / FN / TP "
              "| study TN / FP / FN / TP | synthetic mean abs Δr |")
        print("|---|---|---|---|---|---|---|---|---|")
        for m in a["methods"]:
            mean, sd, syn = m["mean"], m["sd"], m["synthetic_vs_real"]
            dr = syn.get("correlation_mean_abs_difference") if syn else None
            dr = f"{dr:.3f}" if dr is not None else "—"
            print(f"| {m['method']} | {pct(mean, sd, 'accuracy')} | {pct(mean, sd, 'sensitivity')} | "
                  f"{pct(mean, sd, 'specificity')} | {pct(mean, sd, 'f1')} | {auc(mean, sd, 'roc_auc')} | "
                  f"{confusion(m['confusion'])} | {confusion(m['study_confusion'])} | {dr} |")
        print()
    sweep = r["alpha_sweep"]
    if sweep:
        models = sweep["models"]
        print("α sweep (mean over folds):")
        print()
        print("| α | " + " | ".join(f"{m['label']} ROC AUC | {m['label']} accuracy %" for m in models) + " |")
        print("|---|" + "---|---|" * len(models))
        for i, alpha in enumerate(sweep["values"]):
            cells = []
            for m in models:
                p = m["points"][i]
                cells += [auc(p["mean"], p["sd"], "roc_auc"), pct(p["mean"], p["sd"], "accuracy")]
            print(f"| {alpha:g} | " + " | ".join(cells) + " |")
        best = []
        for m in models:
            best += [f"{m['best_alpha_by_roc_auc']:g}", f"{m['best_alpha_by_accuracy']:g}"]
        print("| best | " + " | ".join(best) + " |")
        print()
    f = r["final_map"]
    if f:
        x = f["prediction_area"]["intersection"]
        print(f"Final ResGCN map (in-sample, α {f['alpha']:g}, {f['epochs_run']} epochs): P-A intersection at "
              f"p ≥ {x['threshold']:.3f}: {x['deposits_percent']:.0f} % of the {f['prediction_area']['deposit_cells']} "
              f"deposit cells in {x['area_percent']:.0f} % of the area; success AUC {f['success_auc']:.3f}.")


if __name__ == "__main__":
    main(sys.argv[1])
