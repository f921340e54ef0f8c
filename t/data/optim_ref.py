#!/usr/bin/env python3
"""Reference values for t/test_optim.c: the update rules of torch.optim.SGD
(no momentum), torch.optim.Adam and torch.optim.AdamW, in plain Python.
Parameters, gradients and moments are rounded to float32 where l2d stores
them as float; the arithmetic in between is double, as in l2d."""
import math
import struct


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


P0 = [0.5, -1.25, 2.0]
G = [[0.1, -0.2, 0.3], [-0.4, 0.05, 0.3], [0.25, 0.0, -1.0]]


def run(kind, lr, wd, b1=0.9, b2=0.999, eps=1e-8):
    p = [f32(x) for x in P0]
    m = [0.0] * len(p)
    v = [0.0] * len(p)
    out = []
    for t, g in enumerate(G, start=1):
        g = [f32(x) for x in g]
        for i in range(len(p)):
            if kind == "sgd":
                p[i] = f32(p[i] - lr * (g[i] + wd * p[i]))
                continue
            gi, pi = g[i], p[i]
            if kind == "adamw":
                pi = pi * (1 - lr * wd)
            else:
                gi = gi + wd * pi
            mi = b1 * m[i] + (1 - b1) * gi
            vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i], v[i] = f32(mi), f32(vi)
            bc1 = 1 - b1 ** t
            bc2 = 1 - b2 ** t
            denom = math.sqrt(vi) / math.sqrt(bc2) + eps
            p[i] = f32(pi - (lr / bc1) * mi / denom)
        out.append(list(p))
    return out


for name, kind, lr, wd in [("sgd", "sgd", 0.1, 0.01), ("adam", "adam", 0.01, 0.0),
                           ("adam_wd", "adam", 0.01, 0.1), ("adamw", "adamw", 0.01, 0.1)]:
    rows = run(kind, lr, wd)
    print("static const double ref_%s[3][3] = {" % name)
    for r in rows:
        print("    {%s}," % ", ".join("%.9g" % x for x in r))
    print("};")
