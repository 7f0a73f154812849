"""The peer figure for template mining: drain3 (PyPI) on the same Loghub inputs, the same scores and
the same leave-one-system-out protocol as `firewatch-templates-eval --loso`.

Feeds each system's Content column to a fresh drain3 TemplateMiner and scores grouping accuracy and
strict parsing accuracy exactly as firewatch-templates-eval does (a line's cluster is its cluster
once every line is in; templates compared with whitespace runs collapsed).

- default: drain3's defaults (similarity 0.4, depth 4, no masking);
- --loso: for each system, the setting of a small grid (similarity 0.3-0.7, depth 3-5, with or
  without the masking drain3's examples ship: hex/IP/number patterns written `<*>`) that is best on
  the other systems (average GA, ties by PA, then grid order), scored on that system;
- throughput: `add_log_message` over the samples concatenated, one miner, drain3's defaults.

usage: python scripts/drain3_peer.py [DIR] [--loso]
  DIR (default tests/fixtures/loghub) holds <System>_2k.log_structured.csv files, directly or one
  folder down. Needs drain3: python3 -m venv ~/.cache/firewatch/drain3-venv &&
  ~/.cache/firewatch/drain3-venv/bin/pip install drain3
"""
import csv
import os
import sys
import time
from collections import Counter, defaultdict
from multiprocessing import Pool

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

# drain3's example masking (its drain3.ini), each mask written <*> as in the Loghub templates.
MASKING = [
    r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)",
    r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)",
    r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)",
    r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)",
    r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)",
    r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)",
]

DEFAULT = (0.4, 4, False)
GRID = [(sim, depth, mask) for sim in (0.3, 0.4, 0.5, 0.6, 0.7) for depth in (3, 4, 5) for mask in (False, True)]


def norm(s):
    return " ".join(s.split())


def find_samples(d):
    found = {}
    for root in [d] + [os.path.join(d, x) for x in sorted(os.listdir(d)) if os.path.isdir(os.path.join(d, x))]:
        for f in os.listdir(root):
            if f.endswith("_2k.log_structured.csv"):
                found.setdefault(f[: -len("_2k.log_structured.csv")], os.path.join(root, f))
    return sorted(found.items())


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["Content"] for r in rows], [r["EventId"] for r in rows], [r["EventTemplate"] for r in rows]


def miner(setting):
    sim, depth, mask = setting
    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    cfg.drain_sim_th = sim
    cfg.drain_depth = depth
    cfg.masking_instructions = [MaskingInstruction(p, "*") for p in MASKING] if mask else []
    cfg.mask_prefix, cfg.mask_suffix = "<", ">"
    return TemplateMiner(config=cfg)


def score(setting, sample):
    contents, events, truth = sample
    m = miner(setting)
    ids = [m.add_log_message(c)["cluster_id"] for c in contents]
    templates = {c.cluster_id: c.get_template() for c in m.drain.clusters}
    gt_size = Counter(events)
    by_cluster = defaultdict(list)
    for i, cid in enumerate(ids):
        by_cluster[cid].append(i)
    ga_ok = sum(
        len(v) for v in by_cluster.values() if len({events[i] for i in v}) == 1 and gt_size[events[v[0]]] == len(v)
    )
    pa_ok = sum(1 for i, cid in enumerate(ids) if norm(templates[cid]) == norm(truth[i]))
    return ga_ok / len(ids), pa_ok / len(ids), len(by_cluster)


def describe(s):
    return f"sim {s[0]:.1f} depth {s[1]} masking {'y' if s[2] else 'n'}"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    d = args[0] if args else "tests/fixtures/loghub"
    names, samples = [], []
    for name, path in find_samples(d):
        names.append(name)
        samples.append(load(path))
    if not samples:
        sys.exit(f"no <System>_2k.log_structured.csv in {d}")

    print(f"drain3 defaults ({describe(DEFAULT)})")
    print(f"{'system':<12} {'lines':>6} {'clusters':>8} {'GA':>7} {'PA(strict)':>11}")
    rows = [score(DEFAULT, s) for s in samples]
    for name, s, (ga, pa, n) in zip(names, samples, rows):
        print(f"{name:<12} {len(s[0]):>6} {n:>8} {ga:>7.3f} {pa:>11.3f}")
    k = len(rows)
    print(f"{'average':<12} {'':>6} {'':>8} {sum(r[0] for r in rows) / k:>7.3f} {sum(r[1] for r in rows) / k:>11.3f}")

    if "--loso" in sys.argv:
        t = time.perf_counter()
        jobs = [(g, s) for g in GRID for s in samples]
        with Pool(os.cpu_count() or 1) as pool:
            flat = pool.starmap(score, jobs)
        table = [flat[i * k : (i + 1) * k] for i in range(len(GRID))]
        print(f"\nleave-one-system-out: each system scored with the setting of {len(GRID)} that is best on the others")
        print(f"{'system':<12} {'lines':>6} {'clusters':>8} {'GA':>7} {'PA(strict)':>11}  setting chosen on the other systems")
        chosen = []
        for held in range(k):
            best = None
            for c, row in enumerate(table):
                others = [r for j, r in enumerate(row) if j != held]
                ga = sum(r[0] for r in others) / len(others)
                pa = sum(r[1] for r in others) / len(others)
                if best is None or ga > best[1] + 1e-12 or (abs(ga - best[1]) <= 1e-12 and pa > best[2] + 1e-12):
                    best = (c, ga, pa)
            ga, pa, n = table[best[0]][held]
            chosen.append((ga, pa))
            print(f"{names[held]:<12} {len(samples[held][0]):>6} {n:>8} {ga:>7.3f} {pa:>11.3f}  {describe(GRID[best[0]])}")
        ga = sum(c[0] for c in chosen) / k
        pa = sum(c[1] for c in chosen) / k
        low = min(c[0] for c in chosen)
        print(f"{'average':<12} {'':>6} {'':>8} {ga:>7.3f} {pa:>11.3f}")
        print(f"average {ga:.3f} GA, {pa:.3f} PA, lowest GA {low:.3f} ({len(GRID)} settings x {k} systems in {time.perf_counter() - t:.1f}s)")

    m = miner(DEFAULT)
    lines = [c for s in samples for c in s[0]]
    t = time.perf_counter()
    for c in lines:
        m.add_log_message(c)
    secs = time.perf_counter() - t
    print(f"\nthroughput (one thread, {len(lines)} lines concatenated, defaults): {len(lines) / secs:.0f} lines/s")


if __name__ == "__main__":
    main()
