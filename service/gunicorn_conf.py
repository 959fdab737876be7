"""The one gunicorn configuration, used by `make serve`, docker-compose and the integration tests."""
import os

wsgi_app = "service.wsgi:app"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# One process per core. Threads give keep-alive connections and let /healthz, /metrics and refusals answer
# while a request computes; Keras work itself takes turns per process (service/admission.py).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 2)))
threads = int(os.environ.get("KSS_THREADS", "4"))
raw_env = ["KSS_WATCHDOG=true"]
# Each worker imports TensorFlow and runs a warm-up model before it serves (~5 s); no preload, since
# TensorFlow's thread pools do not survive fork.
timeout = int(os.environ.get("KSS_WORKER_TIMEOUT", "60"))  # with gthread: a worker silent this long, e.g. at boot
graceful_timeout = int(os.environ.get("KSS_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so that any slow growth of Keras/TensorFlow state is shed; jitter keeps
# them from restarting together.
# A worker answers ~1,000 cached requests a second and takes ~5 s to start (TensorFlow), so the count is high.
max_requests = int(os.environ.get("KSS_MAX_REQUESTS", "100000"))
max_requests_jitter = int(os.environ.get("KSS_MAX_REQUESTS_JITTER", "10000"))
accesslog = None
errorlog = "-"
loglevel = os.environ.get("KSS_LOG_LEVEL", "info")
