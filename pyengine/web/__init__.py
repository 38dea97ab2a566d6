"""``pyengine serve``: the web app (live camera, uploads, workout history) and its HTTP API.

- :mod:`~pyengine.web.app`: :func:`create_app`, the FastAPI application (the page, the
  ``/api`` routes, the ``/ws/live`` socket) and :class:`ServerConfig`;
- :mod:`~pyengine.web.engine`: the pose model and counting stage the server runs (the
  same :func:`pyengine.pose.open_estimator`, :class:`pyengine.counting.CountingStage`,
  :func:`pyengine.video.pipeline.run_video` and :func:`pyengine.report.build_report` as
  ``pyengine count``);
- :mod:`~pyengine.web.jobs`: uploaded videos counted one after another in a worker thread;
- :mod:`~pyengine.web.live`: one live camera session per WebSocket;
- :mod:`~pyengine.web.guards`: what keeps the server safe (access token, allowed hosts,
  upload size, video sniffing, client file names that never become paths);
- ``static/``: the page (plain HTML, CSS and JavaScript; no build step, no network).

Needs the ``web`` extra (FastAPI, uvicorn, python-multipart, websockets); only the
command line imports this package, and :func:`missing_dependencies` says what is absent.
May import any part of pyengine except the command line.
"""

from __future__ import annotations

import importlib.util

#: Import name -> package to install, for the ``web`` extra.
WEB_DEPENDENCIES = {
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "multipart": "python-multipart",
    "websockets": "websockets",
}


def missing_dependencies() -> list[str]:
    """The packages of the ``web`` extra that are not installed (empty: all are)."""
    return [pkg for name, pkg in WEB_DEPENDENCIES.items() if importlib.util.find_spec(name) is None]
