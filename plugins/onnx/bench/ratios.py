#!/usr/bin/python3
"""Reads "side model batch wall_ns cpu_ns" lines (sides: arthost, torch,
ort) on stdin and prints the arthost/torch and arthost/ORT ratios of
process CPU time per call (robust to other load on a shared machine) and,
in brackets, of median wall time. Standard library only."""
import sys

rows = {}
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 5 or parts[0] not in ("arthost", "torch", "ort"):
        continue
    side, model, batch, wall, cpu = parts[0], parts[1], int(parts[2]), float(parts[3]), float(parts[4])
    rows.setdefault((model, batch), {})[side] = (wall, cpu)

print("CPU ms per predict call (wall-clock ratio in brackets)")
print("%-9s %5s %11s %11s %11s %20s %20s" % ("model", "batch", "arthost", "torch", "ORT", "arthost/torch", "arthost/ORT"))
order = {"mlp": 0, "cnn": 1, "resnet18": 2}
for (model, batch) in sorted(rows, key=lambda k: (order.get(k[0], 9), k[1])):
    r = rows[(model, batch)]

    def ms(side):
        return "%.4f" % (r[side][1] / 1e6) if side in r else "-"

    def ratio(side):
        if "arthost" in r and side in r and r[side][1] > 0 and r[side][0] > 0:
            return "%.2f (%.2f)" % (r["arthost"][1] / r[side][1], r["arthost"][0] / r[side][0])
        return "-"

    print("%-9s %5d %11s %11s %11s %20s %20s" % (model, batch, ms("arthost"), ms("torch"), ms("ort"), ratio("torch"), ratio("ort")))
