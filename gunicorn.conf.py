"""gunicorn settings for `make serve` and production (`gunicorn -c gunicorn.conf.py wsgi:app`).

Each worker builds its own app after the fork (no preload): its own database connections,
its own Whoosh searcher and its own Markdown helper process. Nothing connects before fork.
"""

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
preload_app = False
timeout = 30
graceful_timeout = 20
max_requests = 2000  # recycle workers now and then: bounded memory over weeks
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# 0 = no request-line limit here: gunicorn's own limit (at most 8,190 bytes) answers an HTML
# 414 before the app sees the request. The app refuses URLs over MAX_URL_LENGTH itself, as JSON
# under /api/; `timeout` still bounds how long one request line may take to arrive.
limit_request_line = 0
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
