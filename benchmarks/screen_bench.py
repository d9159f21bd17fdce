"""Benchmark ``textmine screen``: rows per second and peak memory.

Reproduce (the numbers in the report were measured this way)::

    python benchmarks/screen_bench.py --rows 100000 --jobs 2
    python benchmarks/screen_bench.py --input my_export.csv --jobs 4 --keep

Without ``--input`` it first writes a synthetic petition export of ``--rows`` rows (CSV, UTF-8
with BOM, columns 编号/登记日期/所属村/联系电话/标题/反映内容) built from the corpus notes:
sentences of two notes mixed, names, sums and villages changed, about 5 % of rows sent again
unchanged and 3 % reworded (sentences reordered), so duplicate grouping has real work to do.
Generation is not timed.

It then runs :func:`textmine.screen.screen_file` in this process (workers are child
processes) and prints: rows, seconds, rows/s, time per phase, and memory: a thread reads the
resident memory (``VmRSS``) of this process and of every descendant from ``/proc`` five times a
second, and reports the largest total seen and the largest single process. (``getrusage`` cannot
give this: a spawned child inherits its parent's peak at fork, so a child started late reports the
parent's peak as its own.) Outputs go to a temporary folder, removed unless ``--keep``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_VILLAGE_CHARS = "东西南北上下前后大小新老石柳杨李王张刘桥河湾坪岭坝沟塘庄店集营寨堡铺屯岗"


def _village(rng: random.Random) -> str:
    return "".join(rng.choice(_VILLAGE_CHARS) for _ in range(2)) + "村"


def _vary(text: str, rng: random.Random) -> str:
    text = re.sub(r"[\u4e00-\u9fff](?=某)", lambda m: rng.choice(_SURNAMES), text)
    text = re.sub(r"[0-9]+", lambda m: str(rng.randrange(10 ** (len(m.group()) - 1) if len(m.group()) > 1 else 1,
                                                        10 ** len(m.group()))), text)
    return re.sub(r"[\u4e00-\u9fff]{2}村(?![民委里部])", lambda m: _village(rng), text)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？；])", text) if s.strip()]


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Write a synthetic export of ``rows`` rows to ``path``."""
    rng = random.Random(seed)
    notes = []
    for f in sorted((ROOT / "corpora" / "notes").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                if d.get("kind") != "transcript" and len(d["text"]) < 1500:
                    notes.append(d["text"])
    villages = [_village(rng) for _ in range(300)]
    sent: list[str] = []
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "登记日期", "所属村", "联系电话", "标题", "反映内容"])
        for i in range(rows):
            r = rng.random()
            if sent and r < 0.05:
                text = rng.choice(sent)
            elif sent and r < 0.08:
                parts = _sentences(rng.choice(sent))
                rng.shuffle(parts)
                text = "再次反映：" + "".join(parts)
            else:
                parts = _sentences(_vary(rng.choice(notes), rng))
                if rng.random() < 0.5:
                    extra = _sentences(_vary(rng.choice(notes), rng))
                    parts[rng.randrange(len(parts) + 1):0] = extra[: rng.randint(1, 2)]
                text = "".join(parts)
                if len(sent) < 5000:
                    sent.append(text)
                elif rng.random() < 0.1:
                    sent[rng.randrange(len(sent))] = text
            w.writerow([f"XF{i:07d}", f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", rng.choice(villages),
                        f"1{rng.choice('3589')}{rng.randrange(10**9):09d}", "群众来信", text])


class TreeMemory:
    """Peak resident memory of this process and all its descendants, sampled from /proc (Linux)."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak_total_mb = 0.0
        self.peak_process_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = []
        try:
            for tid in Path(f"/proc/{pid}/task").iterdir():
                out += [int(c) for c in (tid / "children").read_text().split()]
        except OSError:
            pass
        return out

    def _sample(self) -> None:
        todo, sizes = [os.getpid()], []
        while todo:
            pid = todo.pop()
            sizes.append(self._rss_kb(pid) / 1024)
            todo += self._children(pid)
        self.peak_total_mb = max(self.peak_total_mb, sum(sizes))
        self.peak_process_mb = max(self.peak_process_mb, max(sizes))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000, help="rows to generate (default 100000)")
    p.add_argument("--input", help="screen this file instead of generating one")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", action="store_true", help="keep the generated file and the outputs")
    args = p.parse_args(argv)

    from textmine.screen import screen_file

    tmp = Path(tempfile.mkdtemp(prefix="screen-bench-"))
    try:
        if args.input:
            src = Path(args.input)
        else:
            src = tmp / f"synthetic_{args.rows}.csv"
            t = time.monotonic()
            generate(src, args.rows, args.seed)
            print(f"generated {args.rows} rows ({src.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - t:.1f} s",
                  file=sys.stderr)
        started = time.monotonic()
        with TreeMemory() as memory:
            summary = screen_file(src, tmp / "out", jobs=args.jobs, progress=True)
        seconds = time.monotonic() - started
        result = {
            "rows": summary.rows_screened, "errors": summary.errors, "jobs": summary.jobs,
            "seconds": round(seconds, 1), "rows_per_second": round(summary.rows_screened / seconds, 1),
            "peak_rss_all_processes_mb": round(memory.peak_total_mb),
            "peak_rss_largest_process_mb": round(memory.peak_process_mb),
            "seconds_by_phase": {k: round(v, 1) for k, v in summary.timings.items()},
            "clues": summary.clues, "groups": summary.groups, "rows_in_groups": summary.rows_in_groups,
            "xlsx": summary.xlsx_written,
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))
        if args.keep:
            print(f"outputs kept in {tmp}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
