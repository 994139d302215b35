"""`sightgag batch --ray`: the lines of a batch on Ray Data.

Three stages, streamed: writer tasks write each line's concepts (an LLM call waits on the network, so
they ask for a tenth of a CPU), painter actors paint them (`map_batches` on an actor pool, one actor
per GPU, or per CPU on a cluster without GPUs, with torch held to one thread each), and this process,
which owns the gallery, letters and files each gag and writes its result line as it arrives. Compatible
lines that reach an actor together are painted in one pipeline call.

Painters hold no state but their loaded pipelines: a line's order carries its concepts, seeds, size and
subjects (with the paths of their LoRA and reference photo, which every node must see: docs/scale.md).
"""

from __future__ import annotations

import json
import logging
import pickle
import time
from collections import defaultdict

import numpy as np

from sightgag.batch import BatchProgress, BatchRun, Job, error_text
from sightgag.concept import Concept
from sightgag.painter import PaintedWork, Painter, PaintOrder, Prepainted, paint_together
from sightgag.ray_cluster import connected, cpu_count, gpu_count
from sightgag.settings import Settings
from sightgag.writer import Writer, load_writer

WRITER_CPUS = 0.1
# Writer tasks at once, so worker processes at once: each starts by importing sightgag and its writer,
# which on a small machine costs more than the writing; a remote LLM's calls overlap within this many.
WRITER_TASKS = 4
# On a cluster without GPUs a painter is a CPU's worth of torch; a little under one CPU each, so that
# writer tasks still find room beside a full pool (Ray counts CPUs as reservations, not load).
CPU_PAINTER_CPUS = 0.9
PAINTER_BATCH = 4  # lines handed to an actor at once: compatible ones are painted in one call


def run_on_ray(
    run: BatchRun,
    address: str | None,
    *,
    concurrency: int | None = None,
    progress: BatchProgress | None = None,
) -> None:
    """Make every line left on the Ray cluster at `address` (see ray_cluster.connected)."""
    report = progress or (lambda done, total: None)
    total = len(run.todo)
    finished = 0
    rows: list[dict] = []
    jobs: dict[str, Job] = {}
    for entry in run.todo:
        try:
            job = run.job(entry)
            filed = run.already_filed(job)
        except Exception as error:  # a bad line: reported, and the run goes on
            run.record_error(entry, error)
            finished += 1
            report(finished, total)
            continue
        if filed is not None:
            run.record_gag(entry, filed)
            finished += 1
            report(finished, total)
            continue
        rows.append(_row(run, job))
        jobs[job.entry.key] = job
    if not rows:
        return

    with connected(address) as ray:
        from ray.data import ActorPoolStrategy, DataContext

        DataContext.get_current().enable_progress_bars = False  # the command draws its own
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # plans and timings, line by line, over the bar
        gpus = gpu_count(ray)
        pool = concurrency or gpus or cpu_count(ray)
        painter_resources = {"num_gpus": 1} if gpus else {"num_cpus": CPU_PAINTER_CPUS}
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
        dataset = dataset.map_batches(
            write_concepts, batch_size=1, num_cpus=WRITER_CPUS, concurrency=WRITER_TASKS, batch_format="numpy"
        )
        dataset = dataset.map_batches(
            PainterActor,
            fn_constructor_kwargs={"torch_threads": None if gpus else 1},
            batch_size=PAINTER_BATCH,
            compute=ActorPoolStrategy(size=min(pool, len(rows))),
            batch_format="numpy",
            **painter_resources,
        )
        for row in dataset.iter_rows():
            key = str(row["key"])
            entry = jobs[key].entry
            try:
                if row["error"]:
                    run.record_error(entry, str(row["error"]))
                else:
                    _file(run, jobs[key], row)
            except Exception as error:
                run.record_error(entry, error)
            finished += 1
            report(finished, total)


def _row(run: BatchRun, job: Job) -> dict:
    """A line as Ray Data carries it: plain columns, the job as JSON."""
    subjects = run.studio.subjects_for(job.subjects, job.request)  # the names given and those the request names
    order = {
        "request": job.request,
        "writer": job.writer or run.studio.backends.writer,
        "artist": run.artist_spec(job),
        "n": job.n,
        "seed": job.seed,
        "width": job.size[0],
        "height": job.size[1],
        "subjects": [subject.model_dump(mode="json") for subject in subjects],
    }
    return {"key": job.entry.key, "job": json.dumps(order)}


def _file(run: BatchRun, job: Job, row: dict) -> None:
    """Letter and file a painted line here, where the gallery is, under its gallery job id."""
    concepts = [Concept.model_validate(concept) for concept in json.loads(str(row["concepts"]))]
    work = PaintedWork.from_wire(pickle.loads(row["work"]))
    artist = Prepainted(run.artist_spec(job), work)
    draft = run.studio.prepare(
        job.request,
        subjects=job.subjects,
        n=job.n,
        seed=job.seed,
        size=job.size,
        lettering=job.lettering,
        concepts=concepts,
        artist=artist,
    )
    draft.job_id = job.gallery_job
    draft.gag.writer = str(row["writer"])
    draft.gag.timings["writer"] = float(row["writer_seconds"])
    exchanges = json.loads(str(row["exchanges"]))
    if exchanges:
        draft.exchanges = run.studio.gallery.log_exchanges(exchanges)
    gag = run.studio.finish([draft], artist=artist)[0]
    run.record_gag(job.entry, gag, {"painter": float(row["painter_seconds"])})


# -- the stages, run by Ray's workers -------------------------------------------------------------

_writers: dict[str, Writer] = {}  # per worker process: a writer (and its client or model) loads once


def write_concepts(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Writer task: each line's concepts, its logged exchanges, and any error, as columns."""
    out: dict[str, list] = defaultdict(list)
    for key, text in zip(batch["key"], batch["job"]):
        order = json.loads(str(text))
        started = time.perf_counter()
        concepts, exchanges, error = [], [], ""
        try:
            from sightgag.subjects import Subject

            spec = order["writer"]
            if spec not in _writers:
                _writers[spec] = load_writer(spec, Settings())
            writer = _writers[spec]
            subjects = [Subject.model_validate(subject) for subject in order["subjects"]]
            try:
                concepts = writer.write(order["request"], subjects, n=order["n"], seed=order["seed"])[: order["n"]]
            finally:
                logged = getattr(writer, "exchanges", None)
                if logged:
                    exchanges = list(logged)
                    logged.clear()
        except Exception as failure:
            error = error_text(failure)
        out["key"].append(str(key))
        out["job"].append(str(text))
        out["writer"].append(order["writer"])
        out["concepts"].append(json.dumps([concept.model_dump(mode="json") for concept in concepts]))
        out["exchanges"].append(json.dumps(exchanges, default=str))
        out["writer_seconds"].append(time.perf_counter() - started)
        out["error"].append(error)
    return {name: np.array(values, dtype=object) for name, values in out.items()}


class PainterActor:
    """Painter actor: paints the lines it is handed, compatible ones in one call, and returns PNGs."""

    def __init__(self, torch_threads: int | None = None):
        if torch_threads:
            import torch

            torch.set_num_threads(torch_threads)  # CPU painters side by side must not fight over cores
        self.painter = Painter()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [{name: batch[name][index] for name in batch} for index in range(len(batch["key"]))]
        waiting = [row for row in rows if not row["error"]]
        for row in rows:
            row["work"], row["painter_seconds"] = b"", 0.0
        orders = [_order(row) for row in waiting]
        started = time.perf_counter()
        painted = paint_together(self.painter, orders)
        seconds = time.perf_counter() - started
        for row, work in zip(waiting, painted):
            if isinstance(work, Exception):
                row["error"] = error_text(work)
            else:
                row["work"], row["painter_seconds"] = pickle.dumps(work.to_wire()), seconds
        return {
            name: np.array([row[name] for row in rows], dtype=object) for name in [*batch, "work", "painter_seconds"]
        }


def _order(row: dict) -> PaintOrder:
    job = json.loads(str(row["job"]))
    concepts = json.loads(str(row["concepts"]))
    return PaintOrder.from_wire(
        {
            "artist": job["artist"],
            "concepts": concepts,
            "seeds": [job["seed"] + index for index in range(len(concepts))],
            "width": job["width"],
            "height": job["height"],
            "subjects": job["subjects"],
        }
    )
