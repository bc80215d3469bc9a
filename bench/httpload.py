"""A small HTTP/1.1 load generator that runs in its own process (so it does not share the
server's GIL): keep-alive connections, one thread each, raw sockets so that every byte on the
wire is counted exactly. Jobs arrive as JSON lines on stdin; results leave as JSON lines.
"""
import json
import socket
import sys
import threading
import time


def raw_request(method, path, port, headers, body=None):
    """The exact bytes a client sends (a small, browser-like set of headers)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
             "User-Agent: session-vs-jwt-lab-bench", "Accept: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def _read_response(sock):
    """Read one response; return (status, body, bytes received)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _c, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        body += chunk
    return int(head[9:12]), body, len(head) + 4 + len(body)


def _connection(job, index, stop_at, out):
    spec = job["requests"][index % len(job["requests"])]
    body = spec.get("body")
    body = body.encode() if body is not None else None
    request = raw_request(spec["method"], spec["path"], job["port"], spec["headers"], body)
    latencies, statuses, sent, received = [], {}, 0, 0
    sock = socket.create_connection(("127.0.0.1", job["port"]))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            sock.sendall(request)
            status, payload, size = _read_response(sock)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            sent, received = sent + len(request), received + size
            if job.get("chain") and status == 200:  # refresh tokens are single-use
                token = json.loads(payload)["refresh_token"]
                body = json.dumps({"refresh_token": token}).encode()
                request = raw_request(spec["method"], spec["path"], job["port"],
                                      spec["headers"], body)
    except (OSError, ValueError):  # a dropped connection is an error of the run, counted
        statuses["connection_error"] = statuses.get("connection_error", 0) + 1
    finally:
        sock.close()
    out.append((latencies, statuses, sent, received, body.decode() if body else None))


def run_job(job):
    """`job`: port, requests (one spec per connection, reused round-robin), concurrency,
    seconds, chain. Returns the latencies and counters of all connections together."""
    out, stop_at = [], time.perf_counter() + job["seconds"]
    threads = [threading.Thread(target=_connection, args=(job, i, stop_at, out))
               for i in range(job["concurrency"])]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    statuses = {}
    for _lat, counts, *_rest in out:
        for code, count in counts.items():
            statuses[code] = statuses.get(code, 0) + count
    return {"latencies": [x for lat, *_rest in out for x in lat], "elapsed": elapsed,
            "statuses": statuses, "sent": sum(o[2] for o in out),
            "received": sum(o[3] for o in out), "connections": len(out),
            "last_bodies": [o[4] for o in out]}  # where a refresh chain goes on next round


def main():
    """Run each job read from stdin; write its result as one JSON line."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            result = run_job(json.loads(line))
        except Exception as exc:  # report to the parent rather than die silently
            result = {"error": repr(exc)}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
