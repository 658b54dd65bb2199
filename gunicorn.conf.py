"""gunicorn settings for the web app (gunicorn reads ./gunicorn.conf.py on its own).

Measured with benchmarks/claim_latency.py (50 labelers, no think time, 1M background tasks,
2 cores shared with other work, PostgreSQL on the same machine, DATABASE_CONN_MAX_AGE=60):
2 workers x 4 threads (gthread) 14.2 requests/s and 31 ms server CPU a request, 4 x 2 12.3 and
35 ms, 5 sync workers 10.3 and 38 ms. Command-line flags override these; GUNICORN_WORKERS,
GUNICORN_THREADS and GUNICORN_TIMEOUT override them per deployment.
"""

import os

# A request spends part of its time waiting on PostgreSQL: threads keep a process busy
# meanwhile, and one process per core lets the Python part use both cores despite the GIL.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Held-open client connections (keep-alive) save a TCP handshake per call from the workbench.
keepalive = 5
