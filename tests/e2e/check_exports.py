#!/usr/bin/python3
"""Reads every ipw export with pandas (Debian's python3-pandas) and checks the
columns and their types, so a pandas user's `read_csv`/`read_json` just works.

usage: check_exports.py QUERIES.csv QUERIES.jsonl TELEMETRY.csv LEADERBOARD.csv
"""
import sys

import pandas as pd
from pandas.api import types as t


def need(df, name, cols):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        sys.exit(f"{name}: missing columns {missing}; have {list(df.columns)}")


def check_types(df, name, spec):
    bad = []
    for col, pred in spec.items():
        if not pred(df[col]):
            bad.append(f"{col} ({df[col].dtype})")
    if bad:
        sys.exit(f"{name}: wrong column types: {', '.join(bad)}")


def boolish(s):  # True/False, with missing values (unscored) allowed
    return t.is_bool_dtype(s) or set(s.dropna().unique()) <= {True, False}


def main():
    q_csv, q_jsonl, tel_csv, lb_csv = sys.argv[1:5]
    numeric_q = ["seq", "repeat", "session", "input_tokens", "output_tokens", "t_start_s", "t_end_s",
                 "latency_s", "ttft_s", "tpot_s", "energy_j", "prefill_energy_j", "decode_energy_j",
                 "net_energy_j", "power_w", "peak_power_w"]
    for name, df in (("queries.csv", pd.read_csv(q_csv)), ("queries.jsonl", pd.read_json(q_jsonl, lines=True))):
        need(df, name, ["id", "category", "source", "kind", "correct", "energy_source", "error_kind"] + numeric_q)
        if len(df) == 0:
            sys.exit(f"{name}: no rows")
        check_types(df, name, {c: t.is_numeric_dtype for c in numeric_q})
        check_types(df, name, {"correct": boolish, "id": t.is_object_dtype, "category": t.is_object_dtype})
        ok = df[df["error_kind"].isna() | (df["error_kind"] == "")]
        if ok["energy_j"].isna().any():
            sys.exit(f"{name}: successful queries without energy_j")
        if (ok["latency_s"] <= 0).any():
            sys.exit(f"{name}: non-positive latency")
    tel = pd.read_csv(tel_csv)
    need(tel, "telemetry.csv", ["session", "t_s", "domain", "device", "kind", "source", "selected", "energy_j",
                                "power_w", "temperature_c", "memory_mb"])
    if len(tel) == 0:
        sys.exit("telemetry.csv: no rows")
    check_types(tel, "telemetry.csv", {"session": t.is_integer_dtype, "t_s": t.is_float_dtype, "domain": t.is_object_dtype,
                                       "selected": t.is_bool_dtype, "energy_j": t.is_numeric_dtype,
                                       "power_w": t.is_numeric_dtype})
    if not tel["t_s"].groupby(tel["session"]).apply(lambda s: s.is_monotonic_increasing).all():
        sys.exit("telemetry.csv: times are not ordered within a session")
    lb = pd.read_csv(lb_csv)
    need(lb, "leaderboard.csv", ["rank", "label", "accuracy", "ipw", "ipj", "mean_energy_j", "pareto"])
    check_types(lb, "leaderboard.csv", {"rank": t.is_integer_dtype, "accuracy": t.is_float_dtype, "ipw": t.is_float_dtype,
                                        "ipj": t.is_float_dtype, "pareto": t.is_bool_dtype, "label": t.is_object_dtype})
    if list(lb["rank"]) != list(range(1, len(lb) + 1)):
        sys.exit("leaderboard.csv: ranks are not 1..N")
    print(f"exports ok: {len(df)} queries, {len(tel)} samples, {len(lb)} leaderboard rows")


if __name__ == "__main__":
    main()
