#!/usr/bin/env python3
"""Reference outputs for t/test_rng.c: xoshiro256** from a raw state and
after splitmix64 seeding, written straight from the published algorithms."""
M = (1 << 64) - 1


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


def xoshiro(s):
    r = (rotl((s[1] * 5) & M, 7) * 9) & M
    t = (s[1] << 17) & M
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
    return r


def splitmix(x):
    x = (x + 0x9e3779b97f4a7c15) & M
    z = x
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return x, z ^ (z >> 31)


s = [1, 2, 3, 4]
print("raw state {1,2,3,4}:", ", ".join("0x%016xULL" % xoshiro(s) for _ in range(6)))
for seed in (0, 42):
    x, st = seed, []
    for _ in range(4):
        x, z = splitmix(x)
        st.append(z)
    print("seed %d state:" % seed, ", ".join("0x%016xULL" % v for v in st))
    print("seed %d outputs:" % seed, ", ".join("0x%016xULL" % xoshiro(st) for _ in range(4)))
