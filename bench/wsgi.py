"""The production app as `make bench` serves it, plus the floor: `gunicorn 'bench.wsgi:create_bench_app()'`.

`/bench/floor` returns a constant string through the same app (every before/after-request hook,
session, security headers), so each page's latency can be read as a multiple of what Flask
itself costs on this machine at that moment. It exists only here, never in `wsgi.py`.
"""

from flask import Flask

from app import create_app
from config import ProductionConfig

FLOOR_PATH = "/bench/floor"


class BenchConfig(ProductionConfig):
    """Production settings. The load test asks hundreds of questions a minute as one member,
    so the posting limit is raised far above that rate; the limiter stays on, and its database
    counter is part of what an ask costs."""

    POST_RATE_LIMIT = "1000000 per minute"


def create_bench_app() -> Flask:
    app = create_app(BenchConfig)

    @app.get(FLOOR_PATH)
    def floor() -> str:
        return "zennin"

    return app
