"""Re-walk the 19 bad cases of issue 26 (the numbering of /work/notes/hostile.md) on this tree.

Not a test (tests/hostile/conftest.py keeps pytest from importing it): ``python tests/hostile/rewalk_issue26.py`` runs each
case as a user would, a fresh ``python -m descend`` process each, prints one row a case
(number, good/bad, exit code, seconds, the line it printed) and writes rewalk.json.
"""
# ruff: noqa: E402, E701, E702, E731, E741  (a walk script, kept compact)
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "remote"))
import test_hostile_servers as H

SRC = str(ROOT / "src"); PY = sys.executable
W = tempfile.mkdtemp(prefix="rewalk-"); os.chdir(W)
HOUSES = str(ROOT / "examples" / "houses.csv")
ENV = {**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "Agg", "AWS_ACCESS_KEY_ID": "k",
       "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "us-east-1"}
def start(mode):
    sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(16); stop = threading.Event()
    def loop():
        while True:
            try: conn, _ = sock.accept()
            except OSError: return
            threading.Thread(target=H._serve, args=(mode, conn, stop), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}"
def sh(cmd, timeout=120):
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, shell=True, capture_output=True, text=True, env=ENV, timeout=timeout)
        code, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        code, out, err = "TIMEOUT", "", ""
    return code, out, err, time.monotonic() - t0
D = f"{PY} -m descend"
def reset():
    for f in os.listdir(W):
        p = os.path.join(W, f)
        shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
    shutil.copy(HOUSES, "d.csv")
rows = []
LIMITED = """
import resource, sys
from descend.cli.app import main
import descend.data.load, numpy, polars, pyarrow.parquet
size = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmSize'))
limit = size + int(sys.argv[1]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.exit(main(sys.argv[2:]))
"""
def case(n, what, cmd, judge, timeout=120, pre=None):
    reset()
    if pre: pre()
    code, out, err, dt = sh(cmd, timeout)
    lines = [l for l in err.splitlines() if l.strip()]
    verdict = judge(code, out, err)
    shown = lines[-1] if lines else (out.strip().splitlines() or [""])[0]
    rows.append((n, what, verdict, code, f"{dt:.1f}", shown[:260]))
    print(n, verdict, code, f"{dt:.1f}s", shown[:200], flush=True)
one = lambda code, out, err: "good" if code == 2 and len([l for l in err.splitlines() if l.strip()]) == 1 and "Traceback" not in err else "bad"
intact = lambda code, out, err: ("good" if open("d.csv").read().startswith(open(HOUSES).read()[:20]) and one(code, out, err) == "good" else "bad")
case(1, "explore --html symlink to the data", f"ln -sf d.csv ev.html; {D} explore d.csv --html ev.html", intact)
case(2, "explore --html hard link to the data", f"ln d.csv hl.html; {D} explore d.csv --html hl.html", intact)
case(3, "explore --html an existing page (no --force)", f"echo old > page.html; {D} explore d.csv --html page.html", lambda c,o,e: "good" if one(c,o,e)=="good" and open("page.html").read()=="old\n" else "bad")
case(4, "Explorer.save over an existing file (library)", f"echo old > p.html; {PY} -c \"import descend.explorer as E; e=E.Explorer.__new__(E.Explorer)\" ; {PY} -c \"from descend.io import write_output; import inspect, descend.explorer as E; print('force' in inspect.signature(E.Explorer.save).parameters)\"", lambda c,o,e: "good" if "True" in o else "bad")
case(5, "fit file:// --save m.json -> d.csv --force", f"ln -sf d.csv m.json; {D} fit file://{W}/d.csv --save m.json --force", intact)
case(6, "fit file:// --checkpoint c.json -> d.csv", f"ln -sf d.csv c.json; {D} fit file://{W}/d.csv --checkpoint c.json --force", intact)
for n, mode, proto in ((7, "silent", "http"), (8, "silent", "s3"), (9, "cut", "http")):
    for eng in ("numpy", "stream"):
        ep = start(mode)
        url = f"{ep}/houses.csv" if proto == "http" else f"s3://b{n}{eng}/houses.csv"
        so = "--storage-option timeout=2" + (f" --storage-option endpoint_url={ep}" if proto == "s3" else "")
        case(n, f"{mode} {proto} server, {eng}", f"{D} fit {url} --engine {eng} {so}", lambda c,o,e: one(c,o,e) if True else "bad")
def parts():
    import polars as pl
    os.makedirs("f")
    pl.DataFrame({"a": [1.0, 2, 3], "y": [2.0, 4, 6]}).write_parquet("f/p0.parquet")
    pl.DataFrame({"b": [1.0, 2, 3], "y": [2.0, 4, 6]}).write_parquet("f/p1.parquet")
case(10, "Parquet folder, different columns, stream", f"{D} fit f --engine stream", one, pre=parts)
case(11, "Parquet folder, different columns, dask", f"{D} fit f --engine dask", one, pre=parts)
case(12, "minimize -exp(-x**2) --start 40", f"{D} minimize '-exp(-x**2)' --start 40", lambda c,o,e: "good" if "plateau" in (o+e) and "converged" not in o.split("verdict")[-1][:40] else "bad")
case(13, "minimize 2-D plateau --json", f"{D} minimize '-exp(-(x**2 + y**2))' --start 30,30 --json", lambda c,o,e: "good" if '"success": false' in o and '"verdict": "converged"' not in o else "bad")
def tiny():
    open("tiny_x.csv","w").write("x,y\n"+"".join(f"{v!r},{v*1e160!r}\n" for v in [i*1e-160 for i in range(1,30)]))
case(14, "fit tiny_x.csv --summary", f"{D} fit tiny_x.csv --summary | grep -E 'std err|^x |Not available|n/a' | head -3", lambda c,o,e: "good" if "n/a" in o and " 1.000 " not in o else "bad", pre=tiny)
case(15, "LinearRegression(loss='huber').fit(X*1e200)", f"{PY} -c \"import numpy as np, descend; X=np.arange(10.)[:,None]*1e200; y=np.arange(10.)\ntry:\n    descend.LinearRegression(loss='huber').fit(X,y)\nexcept descend.errors.DataError as e: print('DataError:', e)\"", lambda c,o,e: "good" if "DataError" in o else "bad")
def big():
    import numpy as np
    import polars as pl
    x = np.arange(4_000_000, dtype=np.float64) % 1000 / 100
    pl.DataFrame({"x": x, "y": 2 * x + 1}).write_parquet("big.parquet")
    Path("lim.py").write_text(LIMITED)
case(16, "ulimit -v (+1000 MiB) --engine numpy on a 4e6-row Parquet", f"{PY} lim.py 1000 fit big.parquet --engine numpy", one, pre=big)
case("16b", "ulimit -v (+200 MiB) --engine stream (this round's item 4)", f"{PY} lim.py 200 fit big.parquet --engine stream", one, pre=big)
case("17-19", "library writers through the one writer (tests/io/test_one_writer.py)", f"cd {ROOT} && {PY} -m pytest tests/io/test_one_writer.py -q -x -rN 2>&1 | tail -1", lambda c,o,e: "good" if c == 0 else "bad", timeout=600)
json.dump(rows, open(os.path.join(W, "rewalk.json"), "w"), indent=1)
print("rows in", os.path.join(W, "rewalk.json"))
