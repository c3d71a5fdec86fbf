"""TLS load for the capture throughput benchmark, with Python's ssl module (system OpenSSL).

  tls_load.py server CERT KEY          listens on 127.0.0.1 (port printed on stdout), reads and
                                       discards everything on each connection; ends on stdin EOF
  tls_load.py client PORT CA TOTAL CHUNK RATE
                                       connects, sends TOTAL bytes: a request head, then text
                                       lines in SSL_write calls of CHUNK bytes, paced at RATE
                                       bytes/s (0: as fast as possible);
                                       prints one JSON line: bytes, calls, elapsed_ns, end_ms
"""
import json
import socket
import ssl
import sys
import threading
import time


def server(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    print(ls.getsockname()[1], flush=True)

    def serve(conn):
        try:
            with ctx.wrap_socket(conn, server_side=True) as s:
                while s.recv(1 << 20):
                    pass
        except (OSError, ssl.SSLError):
            pass

    def accept():
        while True:
            conn, _ = ls.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.read()


def client(port, ca, total, chunk, rate):
    ctx = ssl.create_default_context(cafile=ca)
    # plaintext as an agent sends it: a request head (the capture's hook check judges a
    # connection by its first bytes, and random bytes look like ciphertext), then text lines
    head = ("POST /v1/messages HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer sk-load\r\n"
            "content-type: text/plain\r\ncontent-length: %d\r\n\r\n" % total).encode()
    line = b"%08d the quick brown fox jumps over the lazy dog, %s\n"
    text = b"".join(line % (i, b"x" * (i % 40)) for i in range(chunk // 60 + 1))
    buf = text[:chunk]
    sent = calls = 0
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            t0 = time.monotonic_ns()
            s.sendall(head)
            sent += len(head)
            calls += 1
            while sent < total:
                if rate > 0:
                    due = t0 + sent / rate * 1e9
                    now = time.monotonic_ns()
                    if due > now:
                        time.sleep((due - now) / 1e9)
                n = min(chunk, total - sent)
                s.sendall(buf[:n])
                sent += n
                calls += 1
            elapsed = time.monotonic_ns() - t0
    print(json.dumps({"bytes": sent, "calls": calls, "elapsed_ns": elapsed,
                      "end_ms": time.time_ns() // 1000000}))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], sys.argv[3])
    else:
        client(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
