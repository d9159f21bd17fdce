"""Load test of ``POST /v1/classify`` on loopback, with a real load generator.

Reproduce::

    apt-get install -y wrk                      # Debian's wrk, the load generator
    python benchmarks/service_bench.py --workers 2 --connections 50 --seconds 15
    python benchmarks/service_bench.py --workers 2 --connections 50 --seconds 15 --rate 1000

It starts ``textmine serve`` on 127.0.0.1 on a free port, times how long the service takes to answer
``/healthz`` (ready), then runs ``wrk`` with N connections for a bounded time, posting single notes
(a realistic one-paragraph petition, rotated among several), and prints requests/s and the latency
percentiles wrk reports; then it stops the service. Only 127.0.0.1 is contacted.

Two ways to load the service, and they answer different questions:

- saturated (default): each connection sends its next request the moment the last answer
  arrives. This measures the most requests/s the service can answer; latency is then mostly
  waiting in line (with 50 requests always outstanding, mean latency = 50 / throughput);
- ``--rate R``: 50 clients that each pause between requests (a random pause, on average
  ``connections / R`` seconds, so together they send about R requests/s) — how other systems and
  reviewers actually call the service. This measures the latency a caller sees at that load.
  wrk times each request from send to answer; the pauses are not counted.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

NOTES = [
    "村会计王某2021年3月把征地补偿款12万元借给他小舅子，至今未还，村民都不知道。",
    "反映我村低保评定优亲厚友，村主任刘某某的弟弟家有小轿车也吃低保，真正困难的孤寡老人没有评上。",
    "村里的账目三年没有公开了，去年修路花了多少钱谁也不知道，希望上级来查一查。",
    "支书把村集体的鱼塘以每年800元的低价包给他表弟，没开村民代表大会，周边村同样的塘都要五千。",
    "希望村里多组织点文化活动，广场舞音响太吵了，晚上十点还在放。",
]

LUA = """
local bodies = {%s}
local pause_ms = %s
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/classify", {["Content-Type"] = "application/json"}, bodies[(i %% #bodies) + 1])
end
if pause_ms > 0 then
  -- uniform on [0, 2 x mean]: clients do not fire in lockstep
  delay = function() return math.random(0, math.floor(2 * pause_ms)) end
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"service not ready after {timeout} s")


def parse_wrk(out: str) -> dict:
    res = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["requests_per_s"] = float(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out, re.M)
        if m:
            value = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
            res[f"p{pct}_ms"] = round(value, 2)
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--rate", type=float, default=0,
                    help="paced load: about this many requests/s in all (default: saturate)")
    args = ap.parse_args(argv)
    pause_ms = 1000.0 * args.connections / args.rate if args.rate > 0 else 0
    port = free_port()
    db = Path(tempfile.mkdtemp()) / "reviews.sqlite3"
    server = subprocess.Popen(["textmine", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(args.workers), "--review-db", str(db)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/healthz")
        bodies = ", ".join(json.dumps(json.dumps({"text": n}, ensure_ascii=False), ensure_ascii=False) for n in NOTES)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as fh:
            fh.write(LUA % (bodies, pause_ms))
        # Warm-up, not measured: every worker has answered before the clock starts.
        subprocess.run(["wrk", "-t1", "-c4", "-d3s", "-s", fh.name, f"http://127.0.0.1:{port}"], capture_output=True)
        out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                              "-s", fh.name, f"http://127.0.0.1:{port}"], capture_output=True, text=True,
                             timeout=args.seconds + 60).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    res = {"workers": args.workers, "connections": args.connections, "seconds": args.seconds,
           "load": f"paced, about {args.rate:g} requests/s" if args.rate > 0 else "saturated",
           "ready_s_after_start": round(ready, 2), **parse_wrk(out)}
    print(json.dumps(res, indent=2))
    print(out, file=sys.stderr)


if __name__ == "__main__":
    main()
