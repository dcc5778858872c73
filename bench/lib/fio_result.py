#!/usr/bin/python3
# fio_result.py - turn one fio JSON report into a bench RESULT line.
#   fio_result.py FIO.json CASE PATH
# Block sizes of 1 MiB or more report bandwidth (GB/s, higher is better);
# smaller ones report the mean time per I/O, 1e9 / IOPS (ns, lower is better).
import json
import sys


def main():
    path_json, case, path = sys.argv[1:4]
    with open(path_json) as f:
        text = f.read()
    # fio may print notes before the JSON object.
    d = json.loads(text[text.index("{"):])
    job = d["jobs"][0]
    rd = job["read"]
    if rd.get("io_bytes", 0) <= 0:
        sys.exit("fio_result: %s %s: no bytes read" % (case, path))
    bs = int(job["job options"].get("bs", "4k").rstrip("kKmM")) * (
        1 << 20 if job["job options"].get("bs", "").lower().endswith("m") else 1 << 10)
    if bs >= 1 << 20:
        unit, value, better = "GB/s", rd["bw_bytes"] / 1e9, "higher"
    else:
        unit, value, better = "ns", 1e9 / rd["iops"], "lower"
    print("RESULT " + json.dumps({"case": case, "path": path, "unit": unit, "value": value,
                                  "better": better, "ref": "raw"}))


if __name__ == "__main__":
    main()
