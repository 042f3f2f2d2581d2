#!/usr/bin/python3
"""The aggregation `ipw analyze` performs, written the way a pandas user would,
over `ipw export --format csv`: accuracy with a Wilson interval, the IPW family
(gross, net of idle, 5%-trimmed), a percentile bootstrap with the same number
of replicates, the least-squares energy model, latency percentiles, and
per-category / per-source tables.

usage: pandas_aggregate.py QUERIES.csv [BOOTSTRAP_REPLICATES]
Prints a JSON summary (bench/analysis_scale_bench.cpp compares it with ipw's).
"""
import json
import math
import sys

import numpy as np
import pandas as pd


def trim_mean(x, proportion):
    x = np.sort(np.asarray(x))
    cut = int(proportion * len(x))
    return float(x[cut:len(x) - cut].mean()) if len(x) > 2 * cut else float(np.median(x))


def wilson(k, n, z=1.96):
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [max(0.0, c - h), min(1.0, c + h)]


def main():
    path = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    df = pd.read_csv(path)
    ok = df["error_kind"].isna() | (df["error_kind"] == "")
    scored = df["correct"].notna()
    correct = df["correct"].astype("boolean").fillna(False).astype(bool)
    acc = correct[scored].mean()
    e = df.loc[ok & df["energy_j"].notna()]
    p = e["energy_j"] / e["latency_s"]
    pn = e["net_energy_j"] / e["latency_s"]
    out = {
        "queries": len(df), "errors": int((~ok).sum()), "accuracy": acc,
        "accuracy_ci95": wilson(int(correct[scored].sum()), int(scored.sum())),
        "mean_energy_j": e["energy_j"].mean(), "mean_power_w": p.mean(),
        "ipw": acc / p.mean(), "ipj": acc / e["energy_j"].mean(),
        "ipw_net": acc / pn.mean(), "ipj_net": acc / e["net_energy_j"].mean(),
        "ipw_trimmed": acc / trim_mean(p, 0.05), "ipj_trimmed": acc / trim_mean(e["energy_j"], 0.05),
    }
    # Percentile bootstrap over queries, same replicates as ipw.
    rng = np.random.default_rng(20251107)
    c = np.where(scored, correct, np.nan).astype(float)
    has_e = (ok & df["energy_j"].notna()).to_numpy()
    en = np.where(has_e, df["energy_j"], np.nan)
    pw = np.where(has_e, df["energy_j"] / df["latency_s"], np.nan)
    ipw = []
    for _ in range(reps):
        idx = rng.integers(0, len(df), len(df))
        ipw.append(np.nanmean(c[idx]) / np.nanmean(pw[idx]))
        np.nanmean(en[idx])
    out["ipw_ci95"] = [float(np.percentile(ipw, 2.5)), float(np.percentile(ipw, 97.5))]
    # Energy model E = a + b in + c out.
    m = e[["input_tokens", "output_tokens", "energy_j"]].dropna()
    X = np.column_stack([np.ones(len(m)), m["input_tokens"], m["output_tokens"]])
    coef, res, *_ = np.linalg.lstsq(X, m["energy_j"], rcond=None)
    ss_tot = ((m["energy_j"] - m["energy_j"].mean()) ** 2).sum()
    out["energy_model"] = {"a_j": coef[0], "b": coef[1], "c": coef[2], "r2": 1 - float(res[0]) / ss_tot}
    okq = df[ok]
    out["latency_s"] = okq["latency_s"].quantile([0.5, 0.9, 0.99]).tolist()
    out["ttft_s"] = okq["ttft_s"].quantile([0.5, 0.9, 0.99]).tolist()
    out["tpot_s"] = okq["tpot_s"].quantile([0.5, 0.9, 0.99]).tolist()
    df["power_w_"] = df["energy_j"] / df["latency_s"]
    df["correct_"] = correct.astype(float).where(scored)
    for key in ("category", "source"):
        # Accuracy over every query (failures count as wrong), energy over successful ones.
        g = df.groupby(key).agg(n=("seq", "size"), accuracy=("correct_", "mean"))
        g = g.join(df[ok].groupby(key).agg(energy_j=("energy_j", "mean"), power_w=("power_w_", "mean")))
        g["ipw"] = g["accuracy"] / g["power_w"]
        g["ipj"] = g["accuracy"] / g["energy_j"]
        out["by_" + key] = g.reset_index().to_dict(orient="records")
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
