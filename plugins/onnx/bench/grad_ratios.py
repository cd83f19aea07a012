#!/usr/bin/python3
"""Reads "side method:model batch wall_ns cpu_ns" lines (sides: arthost,
torch) on stdin and prints, per gradient method, model and batch, the
arthost/torch ratio of process CPU time per call and, in brackets, of
median wall time. Standard library only."""
import sys

rows = {}
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 5 or parts[0] not in ("arthost", "torch") or ":" not in parts[1]:
        continue
    method, model = parts[1].split(":", 1)
    rows.setdefault((method, model, int(parts[2])), {})[parts[0]] = (float(parts[3]), float(parts[4]))

print("CPU ms per gradient call (wall-clock ratio in brackets)")
print("%-15s %-6s %5s %11s %11s %18s" % ("method", "model", "batch", "arthost", "torch", "arthost/torch"))
morder = {"loss_gradient": 0, "class_gradient": 1}
order = {"mlp": 0, "cnn": 1, "cnn2": 2}
for key in sorted(rows, key=lambda k: (morder.get(k[0], 9), order.get(k[1], 9), k[2])):
    r = rows[key]

    def ms(side):
        return "%.4f" % (r[side][1] / 1e6) if side in r else "-"

    ratio = "-"
    if "arthost" in r and "torch" in r and r["torch"][1] > 0 and r["torch"][0] > 0:
        ratio = "%.2f (%.2f)" % (r["arthost"][1] / r["torch"][1], r["arthost"][0] / r["torch"][0])
    print("%-15s %-6s %5d %11s %11s %18s" % (key[0], key[1], key[2], ms("arthost"), ms("torch"), ratio))
