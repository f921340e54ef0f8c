#!/usr/bin/env python3
"""Compare the metrics of two l2d result databases run by run (matched by
cell_id), as TAP. Used by t/gpu/run.sh: the CPU and the GPU must agree within
a tolerance (--atol/--rtol), two GPU runs of one seed bit for bit (--exact).

A deferral metric is a mean over rows of a function of argmax r(x): a float
difference of 1e-6 in the scores can send a row near a tie to another agent,
so a test split of n rows can move by k/n for a few k. The default tolerance,
0.02 absolute plus 2% relative, allows a handful of such rows on the
quickstart's 1200 test rows and catches any real disagreement (a wrong
gradient or loss moves risk and accuracy by far more after 30 epochs)."""
import argparse
import math
import sqlite3
import sys


def load(path):
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT r.cell_id, m.split, m.attack, m.name, m.value FROM metrics m "
        "JOIN runs r ON r.id = m.run_id WHERE r.status = 'done'").fetchall()
    status = dict(db.execute("SELECT cell_id, status FROM runs").fetchall())
    return {(c, s, a, n): v for c, s, a, n, v in rows}, status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--atol", type=float, default=0.02)
    ap.add_argument("--rtol", type=float, default=0.02)
    ap.add_argument("--label", default="")
    o = ap.parse_args()
    ma, sa = load(o.a)
    mb, sb = load(o.b)
    n, bad = 0, 0
    lines = []

    def ok(cond, msg):
        nonlocal n, bad
        n += 1
        bad += not cond
        lines.append("%sok %d - %s%s" % ("" if cond else "not ", n, o.label, msg))

    ok(sa and set(sa) == set(sb), "same cells in both (%d, %d)" % (len(sa), len(sb)))
    ok(all(v == "done" for v in list(sa.values()) + list(sb.values())), "every run done")
    ok(set(ma) == set(mb) and len(ma) > 0, "same metrics (%d, %d)" % (len(ma), len(mb)))
    worst = {}
    for k in sorted(set(ma) & set(mb)):
        x, y = ma[k], mb[k]
        if o.exact:
            good = (x == y) or (math.isnan(x) and math.isnan(y))
        else:
            good = abs(x - y) <= o.atol + o.rtol * abs(x)
        name = k[3]
        d = abs(x - y) if not (math.isnan(x) or math.isnan(y)) else 0.0
        w = worst.setdefault(name, [0.0, 0, 0, None])
        w[2] += 1
        if not good:
            w[1] += 1
        if d >= w[0]:
            w[0], w[3] = d, k
    for name in sorted(worst):
        d, nb, cnt, k = worst[name]
        ok(nb == 0, "%s: %d values, %d outside %s; largest difference %.3g (%s)" % (
            name, cnt, nb, "exact" if o.exact else "atol %g + rtol %g" % (o.atol, o.rtol),
            d, "/".join(k[:3]) if k else "-"))
    print("1..%d" % n)
    print("\n".join(lines))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
