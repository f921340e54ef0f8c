#!/usr/bin/env python3
"""One SARD epoch in PyTorch (eager, float32, CPU): the work bench/sard_epoch
does in l2d, written as a PyTorch user would.

Per mini-batch (MATH.md section 6, plugins/surrogates/smooth_adv.c):
  s0 = r(x)                                      clean scores (kept in the graph)
  clean = sum_j tau_j * -log_softmax(s0 / rho)_j tau_j = sum_{i != j} c_i (nu = 1)
  for each agent j:
    x'_j = PGD10 (l_inf, eps, step eps/10, no random start, best iterate kept)
           maximising ||Dbar(r(x'), j) - Dbar(s0, j)||_2, s0 held fixed; at
           x' = x (norm 0) the subgradient along u = -(1..1)/sqrt(J)
    smooth += tau_j * ||Dbar(r(x'_j), j) - Dbar(s0, j)||_2     (x'_j a constant)
  loss = mean(clean + adv_weight * smooth); backward; Adam step (L2 weight decay)

Prints key = value lines like bench/sard_epoch. --load FILE takes the data and
initial parameters that `sard_epoch --dump FILE` wrote, so the two can be
compared on the same numbers (with --batch equal to the row count the first
epoch's loss depends on nothing else).
"""
import argparse
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn


def dbar(s, j):
    """Dbar(r, j) = (r_j - r_k)_{k != j}, shape [B, A-1]."""
    keep = [k for k in range(s.shape[1]) if k != j]
    return s[:, j:j + 1] - s[:, keep]


def pgd_inner(model, x, s0, j, eps, steps):
    """argmax over the l_inf ball of ||Dbar(r(x'), j) - Dbar(s0, j)||, s0 fixed."""
    alpha = eps / steps
    d0 = dbar(s0, j)
    zero_dir = torch.full_like(d0, -1.0 / (d0.shape[1] ** 0.5))
    cur = x.clone()
    best_val = torch.full((x.shape[0],), -float("inf"))
    best_x = x.clone()
    for _ in range(steps):
        cur.requires_grad_(True)
        delta = dbar(model(cur), j) - d0
        val = torch.linalg.vector_norm(delta, dim=1)
        # d||delta||/d delta = delta/||delta||; at 0 take the subgradient u
        u = torch.where(val[:, None] > 0, delta / val[:, None].clamp_min(1e-30), zero_dir)
        (grad,) = torch.autograd.grad((u.detach() * delta).sum(), cur)
        with torch.no_grad():
            better = val > best_val
            best_val = torch.where(better, val, best_val)
            best_x = torch.where(better[:, None], cur, best_x)
            cur = torch.min(torch.max(cur + alpha * grad.sign(), x - eps), x + eps)
    with torch.no_grad():
        val = torch.linalg.vector_norm(dbar(model(cur), j) - d0, dim=1)
        better = val > best_val
        best_x = torch.where(better[:, None], cur, best_x)
    return best_x


def sard_loss(model, x, c, rho, adv_weight, eps, steps):
    A = c.shape[1]
    tau = c.sum(dim=1, keepdim=True) - c  # tau_j = sum_{i != j} c_i
    s0 = model(x)
    loss = -(tau * torch.log_softmax(s0 / rho, dim=1)).sum(dim=1)
    if adv_weight > 0 and A >= 2:
        s0d = s0.detach()
        for j in range(A):
            xa = pgd_inner(model, x, s0d, j, eps, steps)
            n = torch.linalg.vector_norm(dbar(model(xa), j) - dbar(s0, j), dim=1)
            loss = loss + adv_weight * tau[:, j] * n
    return loss


def make_model(dims):
    layers = []
    for k in range(len(dims) - 1):
        layers.append(nn.Linear(dims[k], dims[k + 1]))
        if k + 2 < len(dims):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def load(path):
    raw = open(path, "rb").read()
    n, d, a, nl, npar = np.frombuffer(raw, np.uint64, 5, 0).astype(int)
    off = 40
    dims = np.frombuffer(raw, np.uint64, nl + 1, off).astype(int).tolist()
    off += 8 * (nl + 1)
    x = np.frombuffer(raw, np.float32, n * d, off).reshape(n, d)
    off += 4 * n * d
    c = np.frombuffer(raw, np.float64, n * a, off).reshape(n, a)
    off += 8 * n * a
    p = np.frombuffer(raw, np.float32, npar, off)
    return dims, x, c, p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=16512)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--hidden", default="8,16")
    ap.add_argument("--batch", type=int, default=8096)
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--eps", type=float, default=0.25)
    ap.add_argument("--adv-weight", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--load", help="data and initial parameters from sard_epoch --dump")
    o = ap.parse_args()

    torch.set_num_threads(o.threads)
    torch.manual_seed(o.seed)
    if o.load:
        dims, xn, cn, p = load(o.load)
        model = make_model(dims)
        with torch.no_grad():
            off = 0
            for lin in (m for m in model if isinstance(m, nn.Linear)):
                for t in (lin.weight, lin.bias):
                    t.copy_(torch.from_numpy(p[off:off + t.numel()].copy()).view_as(t))
                    off += t.numel()
        x = torch.from_numpy(xn.copy())
        c = torch.from_numpy(cn.astype(np.float32))
    else:
        dims = [o.dim] + [int(h) for h in o.hidden.split(",") if h] + [o.agents]
        model = make_model(dims)
        x = torch.randn(o.rows, o.dim)
        c = torch.randn(o.rows, o.agents).abs()
    n = x.shape[0]
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)

    secs, cpus, losses = [], [], []
    for _ in range(o.epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(n)
        total = 0.0
        for i0 in range(0, n, o.batch):
            idx = perm[i0:i0 + o.batch]
            loss = sard_loss(model, x[idx], c[idx], 1.0, o.adv_weight, o.eps, o.steps)
            opt.zero_grad()
            loss.mean().backward()
            opt.step()
            total += loss.detach().sum().item()
        secs.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        losses.append(total / n)

    timed = secs[1:] if len(secs) > 2 else secs
    ctimed = cpus[1:] if len(cpus) > 2 else cpus
    print("impl = pytorch %s" % torch.__version__)
    print("shape = rows %d, dim %d, agents %d, hidden %s, batch %d, pgd%d eps %g, adv_weight %g"
          % (n, dims[0], dims[-1], ",".join(map(str, dims[1:-1])), o.batch, o.steps, o.eps,
             o.adv_weight))
    print("threads = %d" % torch.get_num_threads())
    print("epochs_timed = %d (of %d; the first is warm-up)" % (len(timed), len(secs)))
    print("epoch_seconds_median = %.6f" % statistics.median(timed))
    print("epoch_seconds_min = %.6f" % min(timed))
    print("epoch_cpu_seconds_median = %.6f" % statistics.median(ctimed))
    for e, (s, cs, l) in enumerate(zip(secs, cpus, losses)):
        print("epoch %d: train_loss = %.9g, seconds = %.6f, cpu_seconds = %.6f" % (e + 1, l, s, cs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
