#!/usr/bin/env python3
"""One SARD epoch in PyTorch (float32, CPU or CUDA): the work bench/sard_epoch
does in l2d, written as a PyTorch user would.

Per mini-batch (docs/math.md §6, plugins/surrogates/smooth_adv.c):
  s0 = r(x)                                      clean scores (kept in the graph)
  clean = sum_j tau_j * -log_softmax(s0 / rho)_j tau_j = sum_{i != j} c_i (nu = 1)
  for each agent j:
    x'_j = PGD10 (l_inf, eps, step eps/10, no random start, best iterate kept)
           maximising ||Dbar(r(x'), j) - Dbar(s0, j)||_2, s0 held fixed; at
           x' = x (norm 0) the subgradient along u = -(1..1)/sqrt(J)
    smooth += tau_j * ||Dbar(r(x'_j), j) - Dbar(s0, j)||_2     (x'_j a constant)
  loss = mean(clean + adv_weight * smooth); backward; Adam step (L2 weight decay)
--mode clean: the clean part alone (the ce surrogate, nu = 1; no attack).

Variants (--variant):
  eager    the loop above, one PGD run per agent, as written below.
  compile  the same with the rejector wrapped in torch.compile (default mode).
  graph    what a skilled user writes next: the |A| inner attacks as one batch
           of |A| B rows, and each training step (forward, the PGD runs,
           backward, Adam with capturable=True) captured once with
           torch.cuda.graph and replayed, one graph for the full batch and
           one for the short last batch; the data stays on the device and
           each batch is gathered into the graphs' static inputs with
           index_select. On the CPU (no graphs there) the same batched step
           runs eagerly: a check of its arithmetic, not a timing.
The three compute the same losses from the same data, initial parameters and
batch order (the permutation comes from a generator seeded with --seed on the
device): compare the first epoch's train_loss.

Prints key = value lines like bench/sard_epoch (on CUDA also peak_gpu_bytes,
torch.cuda.max_memory_allocated over the run). Wall time per epoch is taken
between device synchronisations; the first --warmup epochs are not counted.
--load FILE takes the data and initial parameters that `sard_epoch --dump FILE`
wrote, so the two can be compared on the same numbers (with --batch equal to
the row count the first epoch's loss depends on nothing else).
"""
import argparse
import math
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
    best_val = torch.full((x.shape[0],), -float("inf"), device=x.device)
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


def clean_loss(s0, c, rho):
    tau = c.sum(dim=1, keepdim=True) - c  # tau_j = sum_{i != j} c_i
    return tau, -(tau * torch.log_softmax(s0 / rho, dim=1)).sum(dim=1)


def sard_loss(model, x, c, rho, adv_weight, eps, steps):
    A = c.shape[1]
    s0 = model(x)
    tau, loss = clean_loss(s0, c, rho)
    if adv_weight > 0 and A >= 2:
        s0d = s0.detach()
        for j in range(A):
            xa = pgd_inner(model, x, s0d, j, eps, steps)
            n = torch.linalg.vector_norm(dbar(model(xa), j) - dbar(s0, j), dim=1)
            loss = loss + adv_weight * tau[:, j] * n
    return loss


# ---- the graph variant's step: the |A| attacks as one batch of |A| B rows ----
# Row a B + i of the stacked batch is row i attacked for agent a. Dbar is taken
# with gathers (column j of the row's agent minus the other columns, in the
# order dbar() takes them), so each row sees the arithmetic of the eager loop.

class Stacked:
    """Index tensors for a batch of B rows and A agents, made before capture."""

    def __init__(self, B, A, device):
        self.B, self.A = B, A
        self.j = torch.arange(A, device=device).repeat_interleave(B)[:, None]  # [A B, 1]
        keep = torch.tensor([[k for k in range(A) if k != j] for j in range(A)], device=device)
        self.keep = keep.repeat_interleave(B, dim=0)  # [A B, A - 1]

    def dbar(self, s):
        return s.gather(1, self.j) - s.gather(1, self.keep)


def pgd_stacked(model, st, x, s0, eps, steps):
    """pgd_inner for every agent at once: x, s0 are [A B, D], [A B, A]."""
    alpha = eps / steps
    d0 = st.dbar(s0)
    zero_dir = torch.full_like(d0, -1.0 / (d0.shape[1] ** 0.5))
    lo, hi = x - eps, x + eps
    cur = x.clone()
    best_val = torch.full((x.shape[0],), -float("inf"), device=x.device)
    best_x = x.clone()
    for _ in range(steps):
        cur.requires_grad_(True)
        delta = st.dbar(model(cur)) - d0
        val = torch.linalg.vector_norm(delta, dim=1)
        u = torch.where(val[:, None] > 0, delta / val[:, None].clamp_min(1e-30), zero_dir)
        (grad,) = torch.autograd.grad((u.detach() * delta).sum(), cur)
        with torch.no_grad():
            better = val > best_val
            best_val = torch.where(better, val, best_val)
            best_x = torch.where(better[:, None], cur, best_x)
            cur = torch.min(torch.max(cur + alpha * grad.sign(), lo), hi)
    with torch.no_grad():
        val = torch.linalg.vector_norm(st.dbar(model(cur)) - d0, dim=1)
        better = val > best_val
        best_x = torch.where(better[:, None], cur, best_x)
    return best_x


def sard_loss_stacked(model, st, x, c, rho, adv_weight, eps, steps):
    A = c.shape[1]
    s0 = model(x)
    tau, loss = clean_loss(s0, c, rho)
    if adv_weight > 0 and A >= 2:
        xs = x.repeat(A, 1)
        xa = pgd_stacked(model, st, xs, s0.detach().repeat(A, 1), eps, steps)
        n = torch.linalg.vector_norm(st.dbar(model(xa)) - st.dbar(s0.repeat(A, 1)), dim=1)
        n = n.view(A, -1)
        for j in range(A):  # the eager loop's order of additions
            loss = loss + adv_weight * tau[:, j] * n[j]
    return loss


class GraphTrainer:
    """One captured training step per batch size (the full batch and the
    short last one), replayed over static inputs filled by index_select."""

    def __init__(self, model, opt, x, c, batch, o, capture):
        self.model, self.opt, self.x, self.c, self.o = model, opt, x, c, o
        n, dev = x.shape[0], x.device
        sizes = [min(batch, n)] + ([n % batch] if n > batch and n % batch else [])
        self.steps = {}
        # warm-up and capture run real steps: keep the initial state, put it back after
        saved = [p.detach().clone() for p in model.parameters()]
        for B in sizes:
            st = Stacked(B, c.shape[1], dev)
            sx = x[:B].clone()
            sc = c[:B].clone()
            self.steps[B] = [st, sx, sc, None, None]
        if capture:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for B in sizes:
                    for _ in range(3):
                        self._step(B)
            # captured on the warm-up's stream (its library handles and
            # workspaces already made), replayed on the current one
            for B in sizes:
                g = torch.cuda.CUDAGraph()
                with torch.cuda.graph(g, stream=side):
                    out = self._step(B)
                self.steps[B][3:] = [g, out]
            torch.cuda.current_stream().wait_stream(side)
        else:
            for B in sizes:
                self._step(B)
        with torch.no_grad():
            for p, s in zip(model.parameters(), saved):
                p.copy_(s)
            for p in model.parameters():
                p.grad.zero_()
            for state in opt.state.values():  # a fresh Adam (step 0, zero moments)
                for k in ("step", "exp_avg", "exp_avg_sq"):
                    state[k].zero_()
        if capture:
            torch.cuda.synchronize()

    def _step(self, B):
        st, sx, sc = self.steps[B][:3]
        o = self.o
        if o.mode == "clean":
            loss = clean_loss(self.model(sx), sc, 1.0)[1]
        else:
            loss = sard_loss_stacked(self.model, st, sx, sc, 1.0, o.adv_weight, o.eps, o.steps)
        # gradients zeroed in place: every graph writes the same .grad tensors
        self.opt.zero_grad(set_to_none=False)
        loss.mean().backward()
        self.opt.step()
        return loss.detach().sum()

    def batch(self, idx):
        B = idx.shape[0]
        st, sx, sc, g, out = self.steps[B]
        torch.index_select(self.x, 0, idx, out=sx)
        torch.index_select(self.c, 0, idx, out=sc)
        if g is None:
            return self._step(B)
        g.replay()
        return out


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
    ap.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    ap.add_argument("--variant", default="eager", choices=("eager", "compile", "graph"))
    ap.add_argument("--mode", default="sard", choices=("sard", "clean"),
                    help="clean: the ce surrogate alone (adv_weight 0, no attack)")
    ap.add_argument("--rows", type=int, default=16512)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--hidden", default="8,16")
    ap.add_argument("--batch", type=int, default=8096)
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1,
                    help="epochs not counted (when more than warmup + 1 are run)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--eps", type=float, default=0.25)
    ap.add_argument("--adv-weight", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--load", help="data and initial parameters from sard_epoch --dump")
    o = ap.parse_args()
    if o.mode == "clean":
        o.adv_weight = 0.0

    dev = torch.device(o.device)
    cuda = dev.type == "cuda"
    if cuda and not torch.cuda.is_available():
        print("sard_epoch.py: --device %s but torch.cuda is not available" % o.device,
              file=sys.stderr)
        return 2
    torch.set_num_threads(o.threads)
    torch.set_float32_matmul_precision("highest")  # float32 GEMMs, no TF32
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
    model.to(dev)
    x, c = x.to(dev), c.to(dev)  # the data lives on the device, every variant
    graph = o.variant == "graph"
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4,
                           capturable=graph and cuda)
    perm_gen = torch.Generator(device=dev)
    perm_gen.manual_seed(o.seed)

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    setup = 0.0
    if graph:
        t0 = time.perf_counter()
        trainer = GraphTrainer(model, opt, x, c, o.batch, o, capture=cuda)
        sync()
        setup = time.perf_counter() - t0
    else:
        rmodel = torch.compile(model) if o.variant == "compile" else model

        def step(xb, cb):
            if o.mode == "clean":
                loss = clean_loss(rmodel(xb), cb, 1.0)[1]
            else:
                loss = sard_loss(rmodel, xb, cb, 1.0, o.adv_weight, o.eps, o.steps)
            opt.zero_grad()
            loss.mean().backward()
            opt.step()
            return loss.detach().sum()

    secs, cpus, losses = [], [], []
    for _ in range(o.epochs):
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(n, device=dev, generator=perm_gen)
        total = torch.zeros((), device=dev)
        for i0 in range(0, n, o.batch):
            idx = perm[i0:i0 + o.batch]
            if graph:
                total += trainer.batch(idx)
            else:
                total += step(x[idx], c[idx])
        sync()
        secs.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        losses.append(total.item() / n)

    skip = o.warmup if len(secs) > o.warmup + 1 else 0
    timed, ctimed = secs[skip:], cpus[skip:]
    if graph:
        how = "stacked attacks, CUDA graphs" if cuda else "stacked attacks, no graphs on cpu"
    elif o.variant == "compile":
        how = "torch.compile(model)"
    else:
        how = "eager"
    print("impl = pytorch %s" % torch.__version__)
    print("variant = %s (%s)" % (o.variant, how))
    print("mode = %s" % o.mode)
    print("device = %s%s" % (dev, " (%s)" % torch.cuda.get_device_name(dev) if cuda else ""))
    print("shape = rows %d, dim %d, agents %d, hidden %s, batch %d, pgd%d eps %g, adv_weight %g"
          % (n, dims[0], dims[-1], ",".join(map(str, dims[1:-1])), o.batch, o.steps, o.eps,
             o.adv_weight))
    print("threads = %d" % torch.get_num_threads())
    print("epochs_timed = %d (of %d; the first %d warm-up)" % (len(timed), len(secs), skip))
    print("epoch_seconds_median = %.6f" % statistics.median(timed))
    print("epoch_seconds_min = %.6f" % min(timed))
    print("epoch_cpu_seconds_median = %.6f" % statistics.median(ctimed))
    if graph:
        print("setup_seconds = %.6f (warm-up steps and graph capture)" % setup)
    if cuda:
        print("peak_gpu_bytes = %d" % torch.cuda.max_memory_allocated(dev))
    A = dims[-1]
    print("passes_expected = %d" % (n * (1 + A * (o.steps + 1)) if o.adv_weight > 0 and A >= 2
                                     else n))
    for e, (s, cs, l) in enumerate(zip(secs, cpus, losses)):
        if not math.isfinite(l):
            print("sard_epoch.py: epoch %d: train_loss %g" % (e + 1, l), file=sys.stderr)
        print("epoch %d: train_loss = %.9g, seconds = %.6f, cpu_seconds = %.6f" % (e + 1, l, s, cs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
