"""`sightgag serve --ray`: the studio server as a Ray Serve application.

Two deployments:

- the ingress (one replica, on the head node) is the same FastAPI app as `sightgag serve`, with the same
  routes, page and API-key rules. It owns the gallery and the job queue (SQLite, as before), runs the
  writer, and letters and files every gag. Its worker claims batches of compatible jobs from the queue as
  always, but its artist paints nowhere: it sends the batch to a painter and waits for the pictures.
- painters (one replica per GPU; on a cluster without GPUs, a CPU each), autoscaled between
  `min_painters` and `max_painters` on the requests waiting for them. A painter is stateless: it gets a
  PaintOrder (concepts, seeds, size, artist spec, subjects with their LoRA and reference paths) and
  returns PNG bytes and details. Calls that reach a painter together are gathered by `@serve.batch` and
  compatible ones painted in one pipeline call.

A painter that dies mid-call (a node lost, an out-of-memory kill) is called once more, and Serve routes
that call to a live replica. The job stays `running` in the queue meanwhile, so it is neither lost nor
filed twice: the queue's guarantees hold because the ingress, not the painter, files the gag.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from collections.abc import Sequence

from ray import serve  # this module is imported only once Ray is known to be installed (ray_cluster.require_ray)

from sightgag.artist import Artist, load_artist
from sightgag.artist.base import Painting, Progress, check_artist
from sightgag.concept import Concept
from sightgag.errors import SightgagError, UsageError
from sightgag.painter import PaintedWork, Painter, PaintOrder, paint_together
from sightgag.ray_cluster import LOCAL, connected, gpu_count
from sightgag.server.backends import Backends
from sightgag.server.state import ServerState
from sightgag.settings import Settings
from sightgag.subjects import Subject

log = logging.getLogger("sightgag.server")

APP_NAME = "sightgag"
PAINTER_QUEUE = 16  # calls a painter takes before Serve routes the next elsewhere (or waits)
# No wait for company at the painter: the ingress's worker already gathers compatible jobs into one
# call (and waits for company there), so the painter only merges calls that are already waiting.
PAINTER_BATCH_WAIT = 0.0
CPU_PAINTER_CPUS = 0.9  # as in ray_batch: a CPU painter leaves a little room for the ingress
INGRESS_CPUS = 0.1  # the ingress waits on painters and the writer's network calls
# Requests the ingress holds at once. Serve's default is 5 a replica, which suits a model that answers
# each call in turn; the studio's answers wait for their gags and its event streams stay open for as
# long as a page watches a job, so with 5, the sixth waiting request queued at the proxy and a burst
# of 8 requests was painted in batches of 5 and 3. Like uvicorn under plain `serve`, it takes them all.
INGRESS_ONGOING = 1000
TARGET_ONGOING = 2  # calls waiting per painter before the autoscaler adds one


# This replica's SIGHTGAG_SERVER_BATCH, set when it starts (each replica is a process of its own).
_batch_limit = 8


def _images(orders: list[dict]) -> int:
    """The size of a gathered batch, for @serve.batch: its images, not its calls. A call is never split,
    so one with more images than the limit counts as the limit: it is painted alone."""
    return sum(min(len(order["concepts"]), _batch_limit) for order in orders)


class PainterDeployment:
    """A painter replica: orders in, PNG bytes out; its loaded pipelines are all it keeps."""

    def __init__(self, torch_threads: int | None = None, batch: int = 8):
        if torch_threads:
            import torch

            torch.set_num_threads(torch_threads)
        self.painter = Painter()
        # Calls gathered together hold at most SIGHTGAG_SERVER_BATCH images, as one call of the plain
        # server does: what a GPU was sized for, and 1 turns batching off here too.
        global _batch_limit
        _batch_limit = batch
        self.paint.set_max_batch_size(batch)

    # max_batch_size is this replica's SIGHTGAG_SERVER_BATCH, set in __init__.
    @serve.batch(max_batch_size=8, batch_wait_timeout_s=PAINTER_BATCH_WAIT, batch_size_fn=_images)
    async def paint(self, orders: list[dict]) -> list[dict]:
        painted = await asyncio.to_thread(
            paint_together, self.painter, [PaintOrder.from_wire(order) for order in orders]
        )
        answers = []
        for work in painted:
            if isinstance(work, Exception):
                # Sent back as data: Ray would wrap the exception with this replica's traceback and paths.
                answers.append({"error": _error_message(work), "usage": isinstance(work, UsageError)})
            else:
                answers.append({**work.to_wire(), "gathered": len(orders), "painter": os.getpid()})
        return answers

    def pid(self) -> int:
        return os.getpid()


class RemoteArtist:
    """The ingress's artist for a spec: checks requests itself (cheap, offline), paints on a painter replica."""

    def __init__(self, local: Artist, painters):
        self.local = local  # never paints: loaded lazily, so its pipeline is never loaded here
        self.spec = local.spec
        self.painters = painters

    def check(self, width: int, height: int) -> None:
        check_artist(self.local, width, height)

    def paint(
        self,
        concepts: list[Concept],
        *,
        seeds: list[int],
        width: int,
        height: int,
        subjects: Sequence[Subject] = (),
        progress: Progress | None = None,
    ) -> Painting:
        from ray.exceptions import ActorUnavailableError, RayActorError

        order = PaintOrder(self.spec, list(concepts), list(seeds), width, height, list(subjects)).to_wire()
        if progress is not None:
            progress(0, 1)
        for attempt in (1, 2):
            try:
                answer = self.painters.paint.remote(order).result()
                break
            except (RayActorError, ActorUnavailableError) as error:
                if attempt == 2:
                    raise SightgagError("the painter died twice painting this job: see the Ray logs") from error
                log.warning("a painter died mid-job (%s): painting it once more on another", type(error).__name__)
        if "error" in answer:
            raise (UsageError if answer.get("usage") else SightgagError)(answer["error"])
        if progress is not None:
            progress(1, 1)
        work = PaintedWork.from_wire(answer)
        details = dict(work.details, painter=answer["painter"], gathered=answer["gathered"], attempts=attempt)
        return Painting(images=work.images(), details=details, keep_clear=work.keep_clear)


class RayBackends(Backends):
    """Backends whose artists paint on the painter deployment."""

    def __init__(self, studio, painters):
        super().__init__(studio)
        self.painters = painters

    def artist(self, spec: str) -> Artist:
        with self._lock:
            if spec not in self._artists:
                self._artists[spec] = RemoteArtist(load_artist(spec, self.studio.settings), self.painters)
            return self._artists[spec]


def use_backends(server: ServerState, backends: Backends) -> None:
    """Hand a built server other backends: its routes and its worker both read them from here."""
    server.backends = backends
    server.worker.backends = backends


@serve.ingress()
class IngressDeployment:
    """The ingress replica: builds the studio's FastAPI app around painters reached by handle."""

    def __init__(self, painters, concurrency: int):
        self.painters = painters
        self.concurrency = concurrency

    def __serve_build_asgi_app__(self):
        from sightgag.server.app import create_app
        from sightgag.server.settings import ServerSettings

        # A painter that may exist is a GPU to the worker: two of its painter threads take turns at each,
        # so that while one thread's pictures are checked here (safety, signs), the other's batch paints.
        settings = ServerSettings(server_concurrency=self.concurrency)
        app = create_app(settings)
        server: ServerState = app.state.server
        use_backends(server, RayBackends(server.studio, self.painters))
        return app


def build_application(*, min_painters: int, max_painters: int, gpus: int, head_node: bool = True):
    """The Serve application: an ingress bound to an autoscaled painter deployment."""
    painter_options = {"num_gpus": 1} if gpus else {"num_cpus": CPU_PAINTER_CPUS}
    painters = serve.deployment(
        PainterDeployment,
        name="painter",
        ray_actor_options=painter_options,
        autoscaling_config={
            "min_replicas": min_painters,
            "max_replicas": max_painters,
            "initial_replicas": min_painters,
            "target_ongoing_requests": TARGET_ONGOING,
        },
        max_ongoing_requests=PAINTER_QUEUE,
    )
    # The gallery and the queue are files on the head node: the ingress runs there.
    ingress_resources = {"node:__internal_head__": 0.001} if head_node else {}
    ingress_options = {
        "num_cpus": INGRESS_CPUS,
        "resources": ingress_resources,
        "runtime_env": {"env_vars": _settings_env()},
    }
    ingress = serve.deployment(
        IngressDeployment,
        name="studio",
        num_replicas=1,
        ray_actor_options=ingress_options,
        max_ongoing_requests=INGRESS_ONGOING,
    )
    from sightgag.server.settings import ServerSettings

    batch = ServerSettings().server_batch  # the ingress reads the same SIGHTGAG_SERVER_BATCH
    return ingress.bind(painters.bind(torch_threads=None if gpus else 1, batch=batch), max_painters)


def app(args: dict) -> serve.Application:
    """The application for a Serve config file (KubeRay's RayService, `serve deploy`):

        import_path: sightgag.server.ray_app:app
        args: {min_painters: 1, max_painters: 4, painter_gpus: 1}

    The studio's settings (SIGHTGAG_HOME, keys) come from the head node's environment.
    """
    min_painters = int(args.get("min_painters", 1))
    max_painters = int(args.get("max_painters", min_painters))
    if not 1 <= min_painters <= max_painters:
        raise UsageError(f"min_painters {min_painters} and max_painters {max_painters}: need 1 <= min <= max")
    return build_application(
        min_painters=min_painters, max_painters=max_painters, gpus=int(args.get("painter_gpus", 1))
    )


def _settings_env() -> dict[str, str]:
    """The studio's settings and keys as this process has them, for the ingress wherever it runs."""
    names = ("XAI_API_KEY", "OPENAI_API_KEY", "BFL_API_KEY")
    return {name: value for name, value in os.environ.items() if name.startswith("SIGHTGAG_") or name in names}


def serve_on_ray(
    host: str,
    port: int,
    address: str | None,
    *,
    min_painters: int = 1,
    max_painters: int = 1,
) -> None:
    """Deploy the studio on Ray Serve, print the banner, and run until interrupted (then undeploy)."""
    from sightgag.server.app import MAX_PORT, _is_address_or_name
    from sightgag.server.security import check_binding
    from sightgag.server.settings import ServerSettings

    if not 0 <= port <= MAX_PORT:
        raise UsageError(f"--port {port} is not a port: use 1 to {MAX_PORT}, or 0 for any free one")
    if not 1 <= min_painters <= max_painters:
        raise UsageError(f"--min-painters {min_painters} and --max-painters {max_painters}: need 1 <= min <= max")
    settings = ServerSettings(host=host)
    if not _is_address_or_name(settings.host):
        raise UsageError(f"--host {host!r} is not an IP address or a host name: e.g. 127.0.0.1, ::1, 0.0.0.0")
    check_binding(settings)  # a public host without a key is refused before Ray starts
    Settings()  # a bad SIGHTGAG_* setting fails here, in one line, not in a replica's log
    port = port or _free_port(settings.host)
    stop = threading.Event()
    with connected(address or LOCAL) as ray:
        serve.start(http_options={"host": settings.host, "port": port})
        try:
            application = build_application(min_painters=min_painters, max_painters=max_painters, gpus=gpu_count(ray))
            serve.run(application, name=APP_NAME, route_prefix="/", blocking=False)
            shown = f"[{settings.host}]" if ":" in settings.host else settings.host
            print(f"sightgag studio on http://{shown}:{port}/ (API: /docs; on Ray Serve)", flush=True)
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            stop.wait()
        finally:
            serve.shutdown()


def _free_port(host: str) -> int:
    # Serve's proxy binds the port itself: ask the system for a free one, as `--port 0` promises.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _error_message(error: BaseException) -> str:
    if isinstance(error, SightgagError):
        return " ".join(str(error).split())
    return f"the painter failed: {type(error).__name__}"
