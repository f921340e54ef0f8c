"""Compares l2d's CPU convolutional models with PyTorch's (torch.nn, float32
on the CPU) on the dump of t/data/conv_ref_dump.c: training-mode forward,
parameter and input gradients, BatchNorm running statistics after it, then
evaluation mode. Usage: python3 conv_ref.py DIR. Prints one line per
quantity and exits 1 when one differs by more than 1e-4 (relative to its
largest value)."""
import sys

import torch
import torch.nn as nn

torch.use_deterministic_algorithms(True)
D = sys.argv[1] if len(sys.argv) > 1 else "."
B, C, H, W, OUT = 4, 3, 8, 8, 5


def load(model, what):
    with open(f"{D}/{model}_{what}.f32", "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32).clone()


class CNN(nn.Module):
    def __init__(self, ch):
        super().__init__()
        layers, c, h = [], C, H
        for co in ch:
            layers += [nn.Conv2d(c, co, 3, padding=1, bias=False), nn.BatchNorm2d(co), nn.ReLU(),
                       nn.MaxPool2d(2)]
            c, h = co, h // 2
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(c * h * h, OUT)

    def forward(self, x):
        return self.head(self.body(x))

    def order(self):  # l2d's layer order
        return [m for m in self.body if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))] + [self.head]


class ResNet4(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.stem, self.bn = nn.Conv2d(C, w, 3, padding=1, bias=False), nn.BatchNorm2d(w)
        self.c1, self.b1 = nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w)
        self.c2, self.b2 = nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w)
        self.head = nn.Linear(w, OUT)

    def forward(self, x):
        s = torch.relu(self.bn(self.stem(x)))
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(s)))))
        y = torch.relu(y + s)
        return self.head(y.mean(dim=(2, 3)))

    def order(self):
        return [self.stem, self.bn, self.c1, self.b1, self.c2, self.b2, self.head]


def params_of(net):
    out = []
    for m in net.order():
        out += [m.weight] + ([m.bias] if m.bias is not None else [])
    return out


def buffers_of(net):
    out = []
    for m in net.order():
        if isinstance(m, nn.BatchNorm2d):
            out += [m.running_mean, m.running_var]
    return out


def fill(ts, flat):
    k = 0
    with torch.no_grad():
        for t in ts:
            t.copy_(flat[k:k + t.numel()].view_as(t))
            k += t.numel()
    assert k == flat.numel(), (k, flat.numel())


def flat(ts):
    return torch.cat([t.reshape(-1) for t in ts])


def rel(a, b):
    return float((a - b).abs().max() / max(b.abs().max(), 1e-30))


bad = 0
for name, net in (("cnn", CNN([4, 6])), ("resnet4", ResNet4(6))):
    fill(params_of(net), load(name, "params"))
    fill(buffers_of(net), load(name, "buffers"))
    x0, dy = load(name, "x").view(B, C, H, W), load(name, "dy").view(B, OUT)
    for mode in ("train", "eval"):
        net.train(mode == "train")
        net.zero_grad()
        x = x0.clone().requires_grad_(True)
        y = net(x)
        y.backward(dy)
        for what, ours, ref in (
            ("y", load(name, f"{mode}_y"), y.detach().reshape(-1)),
            ("param grads", load(name, f"{mode}_grads"), flat([p.grad for p in params_of(net)])),
            ("input grad", load(name, f"{mode}_dx"), x.grad.reshape(-1)),
            ("running stats", load(name, f"{mode}_buffers"), flat(buffers_of(net))),
        ):
            r = rel(ours, ref)
            ok = r <= 1e-4
            bad += not ok
            print(f"{'ok' if ok else 'DIFFERS'} {name} {mode:5s} {what:13s} max |l2d - torch| / max |torch| = {r:.2e}")
print(f"torch {torch.__version__}: {'all within 1e-4' if not bad else f'{bad} differ'}")
sys.exit(1 if bad else 0)
