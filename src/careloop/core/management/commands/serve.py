"""``careloop serve``: the production server (gunicorn) plus the Huey job consumer."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from careloop.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve CareLoop with gunicorn and run the background job consumer beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-jobs", action="store_true", help="Do not start the Huey consumer."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        consumer = None
        if not options["no_jobs"] and not settings.HUEY.get("immediate"):
            consumer = subprocess.Popen(
                [sys.executable, "-m", "careloop.cli", "run_huey", "--quiet"]
            )
        self.stdout.write(f"CareLoop: http://{options['host']}:{options['port']}/  (Ctrl-C stops)")
        try:
            _Gunicorn(
                {
                    "bind": f"{options['host']}:{options['port']}",
                    "workers": options["workers"],
                    "threads": options["threads"],
                    "worker_class": "gthread",
                    "accesslog": "-",
                    "timeout": 60,
                    "graceful_timeout": 10,
                }
            ).run()
        finally:
            if consumer is not None:
                consumer.terminate()
                consumer.wait(timeout=15)
