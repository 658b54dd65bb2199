"""gunicorn settings for the web app (gunicorn reads ./gunicorn.conf.py on its own).

Measured with benchmarks/claim_latency.py (50 labelers, no think time, 2 cores, PostgreSQL on
the same machine): see the README's "Labeling queue at scale". Command-line flags override
these; GUNICORN_WORKERS, GUNICORN_THREADS and GUNICORN_TIMEOUT override them per deployment.
"""

import os

# A request spends part of its time waiting on PostgreSQL: a few threads per process keep the
# CPU busy meanwhile, and more processes than cores sidestep the GIL for the Python part.
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Held-open client connections (keep-alive) save a TCP handshake per call from the workbench.
keepalive = 5
