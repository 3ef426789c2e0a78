"""Scale-out: the throughput batch on a Dask LocalCluster of 1 and of 2 workers.

Starts a local Prefect server (as the Dask mode requires), then runs `callqa score
--local-cluster N` on the same batch as bench/throughput.py for N = 1 and 2, each from process
start to exit (the cluster's start and every worker's model loading included), and prints the
scaling ratio. Workers get cores // N threads each.

    .venv/bin/python bench/cluster.py            # 36 calls (~8 min)
    .venv/bin/python bench/cluster.py --quick    # 12 calls
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, build_batch, load_line  # noqa: E402
from bench.throughput import run_pipeline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="12 calls")
    parser.add_argument("--copies", type=int, help="copies of each bundled call (default 3; 1 with --quick)")
    parser.add_argument("--work-dir", default=str(ROOT / ".callqa"))
    args = parser.parse_args()

    from flows.server import client_env, local_prefect_server

    copies = args.copies or (1 if args.quick else 3)
    print(f"before: {load_line()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, local_prefect_server(Path(tmp) / "server") as api_url:
        batch = build_batch(Path(tmp) / "batch", copies)
        print(f"batch: {len(batch)} calls ({sum(s.duration_s for s in batch.values()) / 60:.1f} audio min); Prefect server {api_url}", flush=True)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(client_env(api_url, Path(tmp) / "client"))
        try:
            for workers in (1, 2):
                run = run_pipeline(Path(tmp) / "batch", Path(tmp) / f"out-{workers}", batch, args.work_dir, ["--local-cluster", str(workers)])
                rows.append((workers, run))
                print(f"  done: {workers} worker(s) {run['xrt']:.1f}x ({run['summary']})", flush=True)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    print(f"after: {load_line()}\n")

    one = rows[0][1]
    print("| LocalCluster workers | calls | audio min | wall s | x real time | scaling vs 1 worker | WER | peak RSS MB per worker |")
    print("|---|---|---|---|---|---|---|---|")
    for workers, r in rows:
        print(f"| {workers} | {r['calls']} | {r['audio_s'] / 60:.1f} | {r['wall_s']:.0f} | {r['xrt']:.1f} | {r['xrt'] / one['xrt']:.2f}x | {r['wer']:.3f} | {r['peak_rss_mb']:.0f} |")
    two = rows[1][1]
    print(f"RESULT xrt_1={one['xrt']:.2f} xrt_2={two['xrt']:.2f} scaling={two['xrt'] / one['xrt']:.2f} "
          f"wer={two['wer']:.3f} peak_rss_mb={two['peak_rss_mb']:.0f} calls={len(batch)}")


if __name__ == "__main__":
    main()
