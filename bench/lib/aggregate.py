#!/usr/bin/python3
# aggregate.py - the one aggregator of bench/run: reads every RESULT line
# collected in raw.txt, takes median/min/max over the rounds per (device,
# case, path), computes each path's ratio per round against the reference
# path of the same case, device and round, reports the median of those
# per-round ratios (or the ratio against the stated goal), flags a
# disturbed reference, checks the goals, and writes results.json,
# results.md and results.png.
#
# raw.txt lines: RESULT DEVICE {"round", "case", "path", "unit", "value",
# "better", "ref", optional "goal"}; DEVICE is the device kind the line was
# measured on (hugetlbfs, tmpfs), "bpf" for bpf_bench's own device, or
# "meta" for device-independent cases.
import argparse
import json
import statistics
import sys
import time

PATH_ORDER = ["raw", "raw_preload", "famfs_direct_simple", "famfs_direct_interleaved", "shim",
              "fuse_read",
              "fuse_mmap", "tmpfs", "shim_read", "tmpfs_read"]
CASE_ORDER = ["seq_read_1t", "seq_read_2t", "rand_load_64b", "rand_read_4k", "first_touch",
              "open_first_byte", "reopen_first_byte", "fio_mmap_read_1m", "fio_psync_read_1m",
              "fio_mmap_rand_read_4k", "fio_psync_rand_read_4k", "create_rate",
              "mount_replay_full_log", "client_visible", "famfsd_idle_cpu",
              "famfsd_requests_per_open",
              "famfsd_requests_per_fault", "resolve_per_call", "open_to_mapped",
              "requests_per_open"]
BPF_ORDER = ["c_simple", "bpf_simple", "c_interleaved", "bpf_interleaved", "bpf_lookup_only",
             "bpf_prog_run_syscall", "syscall_floor", "get_fmap", "bpf_map"]
BW_CASES = ["seq_read_1t", "seq_read_2t", "fio_mmap_read_1m", "fio_psync_read_1m"]
LAT_CASES = ["rand_load_64b", "rand_read_4k", "fio_mmap_rand_read_4k",
             "fio_psync_rand_read_4k", "first_touch", "open_first_byte"]
GOAL_PATHS = ["famfs_direct_simple", "famfs_direct_interleaved", "shim"]
# Paths that reach the very pages raw maps, with the same page size, in the
# same program (data_bench): a ratio above DISTURBED says the reference was
# disturbed, not that famfs beat the hardware.
SAME_PAGES = GOAL_PATHS
DATA_CASES = ["seq_read_1t", "seq_read_2t", "rand_load_64b", "rand_read_4k", "first_touch",
              "open_first_byte", "reopen_first_byte"]
# The setup costs' goals (open, re-open, first touch: ratios against raw in
# the same round; creation and visibility: absolute).
SETUP_GOALS = [("open_first_byte", 0.25), ("reopen_first_byte", 0.5), ("first_touch", 0.9)]
DISTURBED = 1.1
RATIO_METHOD = ("median over rounds of the per-round ratio against the reference path measured "
                "in the same round on the same device (goal cases: median against the goal)")


def order(lst, key):
    return lst.index(key) if key in lst else len(lst)


def read_raw(path):
    groups = {}
    with open(path) as f:
        for line in f:
            parts = line.split(" ", 2)
            if len(parts) < 3 or parts[0] != "RESULT":
                continue
            try:
                r = json.loads(parts[2])
                val = float(r["value"])
            except (ValueError, KeyError) as e:
                print("aggregate: skipping bad line (%s): %s" % (e, line.strip()),
                      file=sys.stderr)
                continue
            dev = r.get("device", parts[1])
            key = (dev, r["case"], r["path"])
            g = groups.setdefault(key, {"unit": r.get("unit", ""),
                                        "better": r.get("better", "higher"),
                                        "ref": r.get("ref", "raw"),
                                        "goal": r.get("goal"), "values": [], "rounds": {}})
            g["values"].append(val)
            g["rounds"].setdefault(r.get("round"), []).append(val)
    return groups


def ratio_of(med, refmed, better):
    if refmed is None or med is None:
        return None
    if better == "higher":
        return med / refmed if refmed else None
    return refmed / med if med else None


def per_round_ratios(g, ref):
    """The ratios of @g's values against @ref's value of the same round."""
    out = []
    for rnd, vals in sorted(g["rounds"].items(), key=lambda kv: str(kv[0])):
        rv = ref["rounds"].get(rnd)
        if rnd is None or not rv:
            continue
        x = ratio_of(statistics.median(vals), statistics.median(rv), g["better"])
        if x is not None:
            out.append(x)
    return out


def build(groups):
    rows = []
    refs = {(dev, case, g["ref"]) for (dev, case, path), g in groups.items()
            if g["ref"] and g["ref"] != path}
    for (dev, case, path), g in groups.items():
        v = g["values"]
        med = statistics.median(v)
        ratio, basis, rr, of_medians = None, None, [], None
        ref = groups.get((dev, case, g["ref"])) if g["ref"] else None
        if g["ref"] == path or (not g["ref"] and (dev, case, path) in refs):
            ratio, basis = 1.0, path
        elif ref:
            rr = per_round_ratios(g, ref)
            ratio = statistics.median(rr) if rr else None
            of_medians = ratio_of(med, statistics.median(ref["values"]), g["better"])
            basis = g["ref"]
        elif g["goal"]:
            ratio = ratio_of(med, float(g["goal"]), g["better"])
            basis = "goal %g" % float(g["goal"])
        row = {"case": case, "path": path, "unit": g["unit"], "median": med,
               "min": min(v), "max": max(v), "ratio": ratio, "ratio_vs": basis,
               "ratio_rounds": rr, "ratio_of_medians": of_medians,
               "better": g["better"], "n": len(v), "device": dev,
               "reference_disturbed": False}
        if path in SAME_PAGES and case in DATA_CASES and ratio is not None:
            row["reference_disturbed"] = ratio > DISTURBED
            row["disturbed_rounds"] = sum(1 for x in rr if x > DISTURBED)
        rows.append(row)
    rows.sort(key=lambda r: (order(CASE_ORDER, r["case"]), r["case"],
                             order(PATH_ORDER + BPF_ORDER, r["path"]), r["path"]))
    return rows


def goals(rows, primary):
    out = []

    def find(dev, case, path):
        for r in rows:
            if r["device"] == dev and r["case"] == case and r["path"] == path:
                return r
        return None

    for dev in sorted({r["device"] for r in rows if r["device"] != "meta"},
                      key=lambda d: d != primary):
        for case in BW_CASES + LAT_CASES:
            for path in GOAL_PATHS:
                r = find(dev, case, path)
                if not r or r["ratio"] is None:
                    continue
                if case in BW_CASES:
                    need, what = 0.97, ">= 0.97 of raw bandwidth"
                else:
                    need, what = 1 / 1.05, "<= 1.05x raw latency"
                met = r["ratio"] >= need - 1e-9
                status = "met" if met else "missed"
                if r["reference_disturbed"]:
                    met, status = None, "reference disturbed"
                out.append({"device": dev, "case": case, "path": path, "goal": what,
                            "ratio": r["ratio"], "ratio_vs": r["ratio_vs"], "met": met,
                            "status": status, "by": r["ratio"] / need - 1})
    for path in ["famfs_direct_simple", "shim"]:
        r = find(primary, "famfsd_requests_per_fault", path)
        if r:
            out.append({"device": primary, "case": r["case"], "path": path,
                        "goal": "0 famfsd requests per page fault", "value": r["median"],
                        "met": r["median"] == 0})
    for g in out:
        g.setdefault("status", "met" if g["met"] else "missed")
    r = find("meta", "mount_replay_full_log", "famfsd_replay")
    if r:
        out.append({"device": "meta", "case": r["case"], "path": r["path"],
                    "goal": "full log replay < 50 ms", "value": r["median"],
                    "met": r["median"] < 50})
    for case, need in SETUP_GOALS:
        for path in ["famfs_direct_simple", "shim"]:
            r = find(primary, case, path)
            if not r or r["ratio"] is None:
                continue
            met = r["ratio"] >= need - 1e-9
            out.append({"device": primary, "case": case, "path": path,
                        "goal": ">= %g of raw (setup)" % need, "ratio": r["ratio"],
                        "ratio_vs": r["ratio_vs"], "met": met,
                        "status": "met" if met else "missed", "by": r["ratio"] / need - 1})
    r = find("meta", "create_rate", "cli_per_file_10k")
    if r:
        out.append({"device": "meta", "case": r["case"], "path": r["path"],
                    "goal": ">= 1000 files/s, one process each, 10,000 entries",
                    "value": r["median"], "met": r["median"] >= 1000})
    r = find("meta", "client_visible", "client_catchup_thread")
    if r:
        out.append({"device": "meta", "case": r["case"], "path": r["path"],
                    "goal": "<= 10 ms without a lookup", "value": r["median"],
                    "met": r["median"] <= 10})
    r = find("meta", "famfsd_idle_cpu", "catchup_poll")
    if r:
        out.append({"device": "meta", "case": r["case"], "path": r["path"],
                    "goal": "famfsd idle < 1% of a core", "value": r["median"],
                    "met": r["median"] < 1})
    r = find("meta", "create_rate", "cli_batched")
    if r:
        out.append({"device": "meta", "case": r["case"], "path": r["path"],
                    "goal": ">= 1000 creations/s batched", "value": r["median"],
                    "met": r["median"] >= 1000})
    return out


def fmt(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 10:
        return "%.1f" % x
    if abs(x) >= 0.01 or x == 0:
        return "%.3g" % x
    return "%.2g" % x


def markdown(rows, gl, meta):
    lines = ["Measured %s with `%s` (%d rounds, %d MiB files; devices: %s). Ratio: %s." % (
        meta["date"], meta["command"], meta["rounds"], meta["file_mib"],
        ", ".join(meta["devices"]), RATIO_METHOD), ""]
    for dev in [d for d in meta["devices"]] + ["bpf", "meta"]:
        sub = [r for r in rows if r["device"] == dev]
        if not sub:
            continue
        lines += ["**%s**" % {"meta": "metadata (device-independent)",
                              "bpf": "BPF resolver (bpf_bench, its own device on /dev/shm)"}
                  .get(dev, "device on " + dev), "",
                  "| case | path | unit | median | min | max | ratio |",
                  "|---|---|---|---:|---:|---:|---:|"]
        for r in sub:
            rat = fmt(r["ratio"])
            if r["ratio"] is not None and r["ratio_vs"] and r["ratio_vs"] not in ("raw",
                                                                                 r["path"]):
                rat += " (vs %s)" % r["ratio_vs"]
            if r["reference_disturbed"]:
                rat += " **reference disturbed**"
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                r["case"], r["path"], r["unit"], fmt(r["median"]), fmt(r["min"]),
                fmt(r["max"]), rat))
        lines.append("")
    lines += ["**goals**", "", "| device | case | path | goal | result |", "|---|---|---|---|---|"]
    for g in gl:
        if "ratio" in g:
            res = "ratio %.3f%s: %s" % (
                g["ratio"], "" if g["ratio_vs"] == "raw" else " (vs %s)" % g["ratio_vs"],
                {"met": "met", "missed": "MISSED by %.1f%%" % (-100 * g["by"]),
                 "reference disturbed": "reference disturbed (a path on the same pages "
                 "cannot beat raw by >%.0f%%)" % (100 * (DISTURBED - 1))}[g["status"]])
        else:
            res = "%s: %s" % (fmt(g["value"]), "met" if g["met"] else "MISSED")
        lines.append("| %s | %s | %s | %s | %s |" % (g["device"], g["case"], g["path"],
                                                      g["goal"], res))
    return "\n".join(lines) + "\n"


COLORS = {"raw": "#444444", "famfs_direct_simple": "#1f77b4",
          "famfs_direct_interleaved": "#6baed6", "shim": "#2ca02c", "fuse_read": "#d62728",
          "fuse_mmap": "#ff7f0e", "tmpfs": "#9467bd", "shim_read": "#98df8a",
          "tmpfs_read": "#c5b0d5", "cli_per_file": "#8c564b", "cli_batched": "#e377c2",
          "famfsd_replay": "#17becf", "famfs_mount_cmd": "#bcbd22", "raw_preload": "#888888",
          "c_simple": "#444444", "c_interleaved": "#777777", "bpf_simple": "#1f77b4",
          "bpf_interleaved": "#6baed6", "bpf_prog_run_syscall": "#ff7f0e",
          "get_fmap": "#444444", "bpf_map": "#1f77b4"}


def plot(rows, meta, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for dev in meta["devices"]:
        sub = [r for r in rows if r["device"] == dev and r["ratio"] is not None]
        if sub:
            panels.append(("device on %s: ratio against the raw mapping measured in the same "
                           "round (median of the per-round ratios; 1.0 = the limit)\nshim, "
                           "shim_read: against raw_preload, the raw mapping measured in the "
                           "shim's own process" % dev, sub, True))
    sub = [r for r in rows if r["device"] == "bpf" and r["ratio"] is not None]
    if sub:
        panels.append(("BPF resolver (bpf_bench, its own device), NOT against raw: "
                       "resolve_per_call against the C resolver (c_simple, c_interleaved),\n"
                       "open_to_mapped and requests_per_open against the GET_FMAP path "
                       "(get_fmap); 1.0 = as good as that reference", sub, False))
    sub = [r for r in rows if r["device"] == "meta" and r["ratio"] is not None]
    if sub:
        panels.append(("metadata: ratio against the goal (1.0 = goal met exactly)", sub, False))
    heights = [max(2.0, 0.11 * len(p[1]) + 0.3 * len({r["case"] for r in p[1]})) for p in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(12, sum(heights) + 1.0),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (title, sub, vs_raw) in zip(axes[:, 0], panels):
        y, ticks, labels, seen = 0.0, [], [], set()
        cases = []
        for r in sub:
            if r["case"] not in cases:
                cases.append(r["case"])
        for case in cases:
            grp = [r for r in sub if r["case"] == case]
            start = y
            for r in grp:
                lab = r["path"] if r["path"] not in seen else None
                seen.add(r["path"])
                val = max(r["ratio"], 1e-4)
                ax.barh(y, val, height=0.8, color=COLORS.get(r["path"], "#7f7f7f"), label=lab,
                        hatch="//" if r["reference_disturbed"] else None)
                note = ""
                if r["ratio_vs"] not in (None, "raw", r["path"]) and \
                        not r["ratio_vs"].startswith("goal"):
                    note += " vs %s" % r["ratio_vs"]
                if r["reference_disturbed"]:
                    note += " REFERENCE DISTURBED"
                ax.text(val * 1.05, y, "%s  (%s %s)%s" % (fmt(r["ratio"]), fmt(r["median"]),
                                                          r["unit"], note),
                        va="center", fontsize=6)
                y += 1
            ticks.append((start + y - 1) / 2)
            labels.append(case)
            y += 0.8
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", lw=1)
        if vs_raw:
            ax.axvline(0.97, color="green", lw=0.8, ls="--")
            ax.axvline(DISTURBED, color="red", lw=0.8, ls=":")
        ax.set_yticks(ticks)
        ax.set_yticklabels(labels, fontsize=8)
        ax.invert_yaxis()
        lo = min(max(r["ratio"], 1e-4) for r in sub)
        hi = max(r["ratio"] for r in sub)
        ax.set_xlim(min(0.5, lo / 2), max(2.0, hi * 6))
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(axis="x", which="both", alpha=0.25)
    fig.suptitle("famfs bench %s (%s; %d rounds, %d MiB files). Right of 1.0 is better "
                 "than the reference; dashed: 0.97 goal;\ndotted: %.1f, beyond it a path on the "
                 "same pages as raw means a disturbed reference (hatched)" % (
                     meta["date"], "quick" if meta["quick"] else "full", meta["rounds"],
                     meta["file_mib"], DISTURBED), fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--primary", required=True)
    ap.add_argument("--devices", required=True)
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--rounds", type=int, default=0)
    ap.add_argument("--file-mib", type=int, default=0)
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--tmpfs-huge", type=int, default=1)
    a = ap.parse_args()
    rows = build(read_raw(a.raw))
    if not rows:
        sys.exit("aggregate: no RESULT lines in %s" % a.raw)
    devices = a.devices.split()
    meta = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "command": a.command,
            "rounds": a.rounds, "file_mib": a.file_mib, "quick": bool(a.quick),
            "devices": devices, "primary_device": a.primary,
            "tmpfs_huge_always": bool(a.tmpfs_huge), "ratio_method": RATIO_METHOD,
            "disturbed_threshold": DISTURBED}
    gl = goals(rows, a.primary)
    main_rows = [r for r in rows if r["device"] in (a.primary, "bpf", "meta")]
    other = {d: [r for r in rows if r["device"] == d] for d in devices if d != a.primary}
    doc = dict(meta)
    doc.update({"cases": main_rows, "other_devices": other, "goals": gl})
    with open(a.out + "/results.json", "w") as f:
        json.dump(doc, f, indent=1)
    md = markdown(rows, gl, meta)
    with open(a.out + "/results.md", "w") as f:
        f.write(md)
    plot(rows, meta, a.out + "/results.png")
    print(md)


if __name__ == "__main__":
    main()
