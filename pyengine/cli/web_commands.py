"""``pyengine serve``: the web app (live camera, uploads, workout history) and its HTTP API."""

from __future__ import annotations

import argparse
import os
import socket
import sys

from ..errors import UsageError
from ._arguments import (
    add_backend_argument,
    add_exercise_argument,
    add_model_argument,
    add_samples_argument,
    add_settings_arguments,
    positive_int,
    settings_from_args,
)
from ._log_options import add_db_argument

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_UPLOAD_MB = 500


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the web app: live camera counting, video uploads, workout history",
        description=(
            "Serve the web page and its HTTP API (documented at /docs). Listens on "
            f"{DEFAULT_HOST} only unless --host says otherwise; then every request needs "
            "the access token printed at start. Every counted session is saved to the "
            "workout log (--db). Needs the web extra: pip install 'pyengine[web]'."
        ),
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
        "anything else requires the printed access token)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    add_db_argument(parser)
    parser.add_argument(
        "--max-upload-mb",
        type=positive_int,
        default=DEFAULT_MAX_UPLOAD_MB,
        metavar="MB",
        help=f"largest video upload accepted (default {DEFAULT_MAX_UPLOAD_MB} MB)",
    )
    parser.add_argument(
        "--ssl-certfile",
        metavar="FILE",
        help="serve HTTPS with this certificate (browsers allow the camera only on "
        "localhost or over HTTPS)",
    )
    parser.add_argument("--ssl-keyfile", metavar="FILE", help="the certificate's private key")
    add_model_argument(parser)
    group = parser.add_argument_group("classifier, smoothing and counting")
    add_samples_argument(group)
    add_exercise_argument(group)
    add_backend_argument(group)
    add_settings_arguments(group)
    parser.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted.

    Raises
    ------
    UsageError
        The web extra is missing, the port cannot be bound, or the options do not fit.
    """
    from ..web import missing_dependencies

    missing = missing_dependencies()
    if missing:
        raise UsageError(
            f"pyengine serve needs the web extra, and {', '.join(missing)} "
            "is not installed: pip install 'pyengine[web]'"
        )
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        raise UsageError("--ssl-certfile and --ssl-keyfile go together")
    import uvicorn

    from ..samples import default_samples, load_samples
    from ..web.app import ServerConfig, create_app
    from ..web.engine import Engine
    from ..web.guards import is_loopback_host, new_token
    from ..web.live import MAX_FRAME_BYTES
    from ..workout_log import WorkoutLog

    settings = settings_from_args(args)
    samples = load_samples(args.samples) if args.samples else default_samples()
    engine = Engine(
        samples,
        os.fspath(args.samples) if args.samples else "bundled",
        settings,
        backend=args.backend,
        model=args.model,
        exercises=args.exercises,
    )
    log = WorkoutLog(args.db)
    loopback = is_loopback_host(args.host)
    token = None if loopback else new_token()
    app = create_app(
        ServerConfig(
            engine=engine,
            log=log,
            token=token,
            loopback_only=loopback,
            max_upload_bytes=args.max_upload_mb * 1024 * 1024,
        )
    )
    listener = _bind(args.host, args.port)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            ws_max_size=MAX_FRAME_BYTES + 1024,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
        )
    )
    _announce(args, listener, token, log)
    server.run(sockets=[listener])
    return 0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host.strip("[]"), port))
    except OSError as exc:
        listener.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listener.listen(128)
    listener.set_inheritable(True)
    return listener


def _announce(args, listener: socket.socket, token: str | None, log) -> None:
    port = listener.getsockname()[1]
    scheme = "https" if args.ssl_certfile else "http"
    host = args.host
    if host in ("0.0.0.0", "::", ""):  # every interface: show a name others can use
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host.strip('[]')}]"
    url = f"{scheme}://{host}:{port}/"
    print(f"pyengine serve: {url}{'' if token is None else f'?token={token}'}")
    if token is not None:
        print(f"access token (the page and the API require it): {token}")
    print(f"workout log: {log.path}")
    problem = log.problem()
    if problem is not None:
        print(f"pyengine serve: warning: {problem}", file=sys.stderr)
    print("API documentation: " + url + "docs; Ctrl-C stops the server", flush=True)
