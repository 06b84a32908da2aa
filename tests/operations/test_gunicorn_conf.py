"""gunicorn.conf.py: what it sets, from the environment, as gunicorn loads it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from .served import REPO

_LOAD = """
import json, os
from gunicorn.config import Config
cfg = Config()
cfg.set("config", "gunicorn.conf.py")
namespace = {"__file__": "gunicorn.conf.py", "__name__": "__config__"}
exec(compile(open("gunicorn.conf.py").read(), "gunicorn.conf.py", "exec"), namespace)
for name, value in namespace.items():
    if name in cfg.settings:
        cfg.set(name, value)
print(json.dumps({
    "workers": cfg.workers, "timeout": cfg.timeout, "graceful_timeout": cfg.graceful_timeout,
    "max_requests": cfg.max_requests, "max_requests_jitter": cfg.max_requests_jitter,
    "accesslog": cfg.accesslog, "errorlog": cfg.errorlog,
    "logger_class": cfg.settings["logger_class"].get() if isinstance(cfg.settings["logger_class"].get(), str) else "class",
    "metrics_dir": os.environ.get("PROMETHEUS_MULTIPROC_DIR"),
    "child_exit": cfg.child_exit.__name__, "preload_app": cfg.preload_app,
}))
"""


def _load(**env: str) -> dict:
    child = {k: v for k, v in os.environ.items()
             if not k.startswith(("GUNICORN_", "WEB_CONCURRENCY", "LOG_FORMAT", "PROMETHEUS_"))}
    child.update(env)
    proc = subprocess.run([sys.executable, "-c", _LOAD], cwd=REPO, env=child,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_defaults():
    cfg = _load()
    assert 2 <= cfg["workers"] <= 8
    assert (cfg["timeout"], cfg["graceful_timeout"]) == (60, 30)
    assert (cfg["max_requests"], cfg["max_requests_jitter"]) == (1000, 100)
    assert cfg["preload_app"] is True
    assert (cfg["accesslog"], cfg["errorlog"]) == ("-", "-")
    assert cfg["logger_class"] == "gunicorn.glogging.Logger"
    assert cfg["child_exit"] == "child_exit"
    # No PROMETHEUS_MULTIPROC_DIR given: one was created.
    assert cfg["metrics_dir"] and os.path.isdir(cfg["metrics_dir"])
    os.rmdir(cfg["metrics_dir"])


def test_the_environment_decides(tmp_path):
    cfg = _load(WEB_CONCURRENCY="3", GUNICORN_TIMEOUT="90", GUNICORN_GRACEFUL_TIMEOUT="10",
                GUNICORN_MAX_REQUESTS="50", GUNICORN_MAX_REQUESTS_JITTER="5", LOG_FORMAT="json",
                PROMETHEUS_MULTIPROC_DIR=str(tmp_path), GUNICORN_PRELOAD="false")
    assert cfg["workers"] == 3
    assert cfg["preload_app"] is False
    assert (cfg["timeout"], cfg["graceful_timeout"]) == (90, 10)
    assert (cfg["max_requests"], cfg["max_requests_jitter"]) == (50, 5)
    assert cfg["logger_class"] == "lotus_manage.gunicorn_logging.JsonGunicornLogger"
    assert cfg["metrics_dir"] == str(tmp_path)
