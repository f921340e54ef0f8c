#!/usr/bin/env python3
"""Makes t/data/csv/iris.csv, wine.csv and iris_sklearn_head.csv from the
copies of the UCI data sets that scikit-learn ships (sklearn/datasets/data/),
and prints the reference numbers t/test_csv.c checks.

    pip download scikit-learn --no-deps -d /tmp/skl   # or pip install
    python3 t/data/csv/make_real.py DIR   # DIR holds iris.csv, wine_data.csv

scikit-learn's files start with a count line ("150,4,setosa,versicolor,
virginica"); the outputs are standard CSV with a header row:
  iris.csv  every field quoted except numbers (Python csv QUOTE_NONNUMERIC),
            the species as text;
  wine.csv  the UCI wine.data layout: the class first, as 1, 2, 3;
  iris_sklearn_head.csv  the first 5 lines of scikit-learn's iris.csv as is.
"""
import csv
import io
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "."
out = sys.argv[2] if len(sys.argv) > 2 else "t/data/csv"

iris = list(csv.reader(open(f"{src}/iris.csv")))
species = iris[0][2:]
feat = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
with open(f"{out}/iris.csv", "w", newline="") as fh:
    w = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    w.writerow(feat + ["species"])
    for r in iris[1:]:
        w.writerow([float(v) for v in r[:4]] + [species[int(r[4])]])
with open(f"{out}/iris_sklearn_head.csv", "w") as fh:
    fh.write("".join(open(f"{src}/iris.csv").readlines()[:5]))

wine = list(csv.reader(open(f"{src}/wine_data.csv")))
wnames = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
          "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
          "od280/od315_of_diluted_wines", "proline"]
with open(f"{out}/wine.csv", "w", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["class"] + wnames)
    for r in wine[1:]:
        w.writerow([int(r[13]) + 1] + r[:13])

# reference numbers, read back with Python's csv module
rows = list(csv.DictReader(open(f"{out}/iris.csv", newline=""), quoting=csv.QUOTE_NONNUMERIC))
n = len(rows)
print("iris rows", n)
for f in feat:
    m = sum(r[f] for r in rows) / n
    sd = (sum((r[f] - m) ** 2 for r in rows) / n) ** 0.5
    print(f"iris {f}: mean {m!r} std {sd!r}")
import collections
print("iris species", sorted(collections.Counter(r["species"] for r in rows).items()))
print("iris row 1", rows[0], "row 150", rows[-1])
wrows = list(csv.DictReader(open(f"{out}/wine.csv", newline="")))
print("wine rows", len(wrows), sorted(collections.Counter(r["class"] for r in wrows).items()))
print("wine proline mean", sum(float(r["proline"]) for r in wrows) / len(wrows))
print("wine row 1", wrows[0])
