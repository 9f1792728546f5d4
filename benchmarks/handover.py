#!/usr/bin/env python3
"""Measures a listener handover between two sluice processes on loopback.

    benchmarks/handover.py [--connections N ...] [--jar proxy/target/sluice.jar]

For each N: an echo backend, a predecessor `sluice run --handover-socket`, N idle established
connections through it plus one that streams 4 KiB chunks and times each echo, and a prober that
opens a new connection every 10 ms. Then a successor starts with the same flag. Reported: the
handover's duration as the predecessor logs it (from the successor's TAKE to its SERVING), the
longest wait for one echoed chunk on the streaming connection while the handover ran, the
slowest new connection (connect + echo) in that time, and failed new connections. Established
connections stay with the predecessor (they are not handed over), so N shows what they cost the
handover. Needs N*2+100 open files (this machine's limit is 20,000: at most about 9,000).
"""
import argparse, asyncio, os, re, resource, shutil, socket, subprocess, sys, tempfile, time

async def echo(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def sluice(jar, config, sock, health, metrics, log):
    """Starts `sluice run`; its output goes to `log`, which wait_line follows."""
    out = open(log, "w")
    proc = subprocess.Popen(["java", "-jar", jar, "run", "--config", config, "--handover-socket", sock,
                             f"--healthz-bind-address=127.0.0.1:{health}", f"--metrics-bind-address=127.0.0.1:{metrics}",
                             "--shutdown-grace=5s"], stdout=out, stderr=subprocess.STDOUT)
    proc.log = open(log)
    return proc

async def wait_line(proc, pattern, lines, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.log.readline()
        if not line:
            await asyncio.sleep(0.01)
            continue
        lines.append(line)
        if m := re.search(pattern, line):
            return m
    raise SystemExit(f"no line matching {pattern} within {seconds} s; see {proc.log.name}")

async def run(n, jar):
    work = tempfile.mkdtemp(prefix="sluice-handover-")
    server = await asyncio.start_server(echo, "127.0.0.1", 0, backlog=4096)
    backend = server.sockets[0].getsockname()[1]
    port, health, metrics = free_port(), free_port(), free_port()
    config = os.path.join(work, "sluice.yaml")
    with open(config, "w") as f:
        f.write(f'services:\n  - name: web\n    listen: "127.0.0.1:{port}"\n    backends: ["127.0.0.1:{backend}"]\n')
    sock = os.path.join(work, "handover.sock")
    old_lines, new_lines = [], []
    old = sluice(jar, config, sock, health, metrics, os.path.join(work, "old.log"))
    await wait_line(old, "serving handovers on", old_lines)
    idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(n)]
    sr, sw = await asyncio.open_connection("127.0.0.1", port)
    window = {"on": False, "gap": 0.0, "slowest": 0.0, "failed": 0, "probes": 0}
    stop = asyncio.Event()

    async def stream():
        chunk = os.urandom(4096)
        while not stop.is_set():
            t = time.monotonic()
            sw.write(chunk)
            got = await sr.readexactly(len(chunk))
            assert got == chunk, "stream corrupted"
            if window["on"]:
                window["gap"] = max(window["gap"], time.monotonic() - t)

    async def probe():
        while not stop.is_set():
            t = time.monotonic()
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port)
                w.write(b"ping")
                await r.readexactly(4)
                w.close()
            except (OSError, asyncio.IncompleteReadError):
                window["failed"] += 1
            if window["on"]:
                window["probes"] += 1
                window["slowest"] = max(window["slowest"], time.monotonic() - t)
            await asyncio.sleep(max(0, 0.010 - (time.monotonic() - t)))

    tasks = [asyncio.create_task(stream()), asyncio.create_task(probe())]
    await asyncio.sleep(1)
    new = sluice(jar, config, sock, health, metrics, os.path.join(work, "new.log"))
    await wait_line(new, r"predecessor pid \d+ will hand over", new_lines)
    window["on"] = True
    m = await wait_line(old, r"handed \d+ listening socket\(s\) and (\d+) established connection\(s\) to pid \d+ in (\d+) ms",
                        old_lines)
    await wait_line(new, "took over from pid", new_lines)
    await asyncio.sleep(0.2)
    window["on"] = False
    stop.set()
    await asyncio.gather(*tasks)
    for r, w in idle + [(sr, sw)]:
        w.close()
    print(f"| {n} | {m.group(1)} | {m.group(2)} ms | {window['gap'] * 1000:.1f} ms | {window['slowest'] * 1000:.1f} ms "
          f"| {window['probes']} | {window['failed']} |", flush=True)
    for p in (new, old):
        p.terminate()
        p.wait(30)
    shutil.rmtree(work)
    server.close()
    for task in asyncio.all_tasks() - {asyncio.current_task()}:
        task.cancel()

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 1000, 9000])
    parser.add_argument("--jar", default=os.path.join(os.path.dirname(__file__), "..", "proxy", "target", "sluice.jar"))
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print("| established | moved | handover (TAKE to DONE) | longest echo wait, streaming | slowest new connection | new connections in the window | failed |")
    print("|---|---|---|---|---|---|---|")
    for n in args.connections:
        asyncio.run(run(n, args.jar))

if __name__ == "__main__":
    sys.exit(main())
