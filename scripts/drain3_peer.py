"""The peer figure for template mining: drain3 (PyPI) on the same Loghub inputs.

Feeds each system's Content column to a fresh drain3 TemplateMiner (its defaults:
similarity 0.4, depth 4, no masking), then scores grouping accuracy and strict parsing
accuracy exactly as firewatch-templates-eval does, and times `add_log_message`.

usage: python scripts/drain3_peer.py [DIR]   (default tests/fixtures/loghub; needs `pip install drain3`)
"""
import csv
import sys
import time
from collections import Counter, defaultdict

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

SYSTEMS = ["Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "Linux", "Mac", "OpenSSH", "Spark", "Windows", "Zookeeper"]
d = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/loghub"


def norm(s):
    return " ".join(s.split())


def miner():
    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    return TemplateMiner(config=cfg)


print(f"{'system':<10} {'lines':>6} {'clusters':>8} {'GA':>7} {'PA(strict)':>11}")
ga_sum = pa_sum = 0.0
total_lines = 0
total_secs = 0.0
for name in SYSTEMS:
    with open(f"{d}/{name}_2k.log_structured.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    contents = [r["Content"] for r in rows]
    events = [r["EventId"] for r in rows]
    truth = [r["EventTemplate"] for r in rows]
    m = miner()
    t = time.perf_counter()
    ids = [m.add_log_message(c)["cluster_id"] for c in contents]
    total_secs += time.perf_counter() - t
    total_lines += len(contents)
    templates = {c.cluster_id: c.get_template() for c in m.drain.clusters}
    gt_size = Counter(events)
    by_cluster = defaultdict(list)
    for i, cid in enumerate(ids):
        by_cluster[cid].append(i)
    ga_ok = sum(len(v) for v in by_cluster.values() if len({events[i] for i in v}) == 1 and gt_size[events[v[0]]] == len(v))
    pa_ok = sum(1 for i, cid in enumerate(ids) if norm(templates[cid]) == norm(truth[i]))
    ga, pa = ga_ok / len(ids), pa_ok / len(ids)
    ga_sum += ga
    pa_sum += pa
    print(f"{name:<10} {len(ids):>6} {len(by_cluster):>8} {ga:>7.3f} {pa:>11.3f}")
print(f"{'average':<10} {'':>6} {'':>8} {ga_sum / 12:>7.3f} {pa_sum / 12:>11.3f}")
print(f"throughput: {total_lines / total_secs:.0f} lines/s ({total_lines} lines in {total_secs:.3f}s, one thread)")
