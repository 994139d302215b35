"""The studio server, tested over HTTP against a real `sightgag serve` on a free loopback port.

The writer is `offline` and the artist a tiny random Flux pipeline, so every request runs the real
path (queue, worker, writer, diffusers, letterer, gallery) in about a second per picture.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from server_fixture import running_server

from sightgag.errors import UsageError
from sightgag.server import create_app
from sightgag.server.jobs import JobQueue, JobRequest
from sightgag.server.settings import ServerSettings

SIZE = "256x256"  # big enough for every lettering style, small enough to paint in about a second
PHOTO_LIMIT = 1024 * 1024
MAX_PHOTOS = 3

pytestmark = pytest.mark.slow


# -- helpers ----------------------------------------------------------------------------------


def studio_env(tiny_flux_dir, **settings: str) -> dict[str, str]:
    return {"SIGHTGAG_WRITER": "offline", "SIGHTGAG_ARTIST": f"flux:{tiny_flux_dir}", **settings}


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 90.0) -> dict:
    """Poll a job until it is done or failed; return it, with the statuses seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if not seen or seen[-1] != job["status"]:
            seen.append(job["status"])
        if job["status"] in ("done", "failed"):
            job["seen"] = seen
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {seen}")


def server_sent_events(client: httpx.Client, url: str) -> list[tuple[str, dict]]:
    """The (event, data) pairs of an SSE stream, read until the server ends it."""
    events, name = [], "message"
    with client.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.removeprefix("data:").strip())))
                name = "message"
    return events


def png_photo(colour=(200, 120, 40)) -> bytes:
    image = Image.new("RGB", (320, 240), colour)
    for x in range(0, 320, 20):  # a little texture, so photos of different colours are different photos
        image.paste((x % 255, 80, 160), (x, 100, x + 10, 140))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_gag(
    client: httpx.Client, request: str = "my cat as a superhero fighting a giant ball of yarn", **fields
) -> dict:
    response = client.post("/api/jobs", json={"request": request, "size": SIZE, "seed": 7, **fields})
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert job["status"] == "done", job["error"]
    return client.get(f"/api/gallery/{job['gag_id']}").json()


@pytest.fixture(scope="module")
def server(tiny_flux_dir, tmp_path_factory) -> str:
    env = studio_env(
        tiny_flux_dir,
        SIGHTGAG_SERVER_BATCH_WAIT="1.0",  # jobs posted a moment apart share a pipeline call
        SIGHTGAG_MAX_PHOTO_BYTES=str(PHOTO_LIMIT),
        SIGHTGAG_MAX_PHOTOS=str(MAX_PHOTOS),
    )
    with running_server(tmp_path_factory.mktemp("server-home"), env) as base_url:
        yield base_url


@pytest.fixture
def client(server) -> httpx.Client:
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client


# -- jobs -------------------------------------------------------------------------------------


def test_a_job_is_queued_then_run_and_its_gag_served_as_png(client):
    response = client.post(
        "/api/jobs", json={"request": "my dog giving a TED talk about squirrels", "size": SIZE, "seed": 3}
    )

    assert response.status_code == 202
    queued = response.json()
    assert queued["status"] == "queued" and queued["gag_id"] is None
    job = wait_for_job(client, queued["id"])
    assert job["status"] == "done", job["error"]
    # Writers claim a job at once (it is "running" while written and painted), so a poll may miss "queued".
    assert set(job["seen"]) <= {"queued", "running", "done"} and job["seen"][-1] == "done"
    assert job["error"] is None

    gag = client.get(f"/api/gallery/{job['gag_id']}").json()
    assert gag["request"] == "my dog giving a TED talk about squirrels"
    assert gag["writer"] == "offline" and gag["seed"] == 3 and gag["size"] == SIZE
    image = client.get(gag["image_urls"][0])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).format == "PNG"
    render = client.get(gag["render_urls"][0])
    assert Image.open(io.BytesIO(render.content)).size == (256, 256)  # the clean painting, before lettering
    download = client.get(gag["image_urls"][0], params={"download": 1})
    assert download.headers["content-disposition"].startswith("attachment")


def test_progress_streams_as_server_sent_events(client):
    job = client.post(
        "/api/jobs", json={"request": "grandpa losing a staring contest to a pigeon", "size": SIZE}
    ).json()

    events = server_sent_events(client, f"/api/jobs/{job['id']}/events")

    names = [name for name, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"progress"}
    stages = [data["stage"] for _, data in events]
    assert {"writing", "painting", "lettering"} <= set(stages)
    painting = [data["done"] for name, data in events if data["stage"] == "painting"]
    assert len(painting) >= 2 and painting == sorted(painting)
    assert events[-1][1]["gag_id"] and events[-1][1]["status"] == "done"


def test_compatible_jobs_are_painted_in_one_pipeline_call(client):
    requests = ["my cat as a pirate captain", "my dog as a wedding photographer"]
    first, second = (client.post("/api/jobs", json={"request": text, "size": SIZE}).json() for text in requests)
    # Another size cannot share their call.
    other = client.post(
        "/api/jobs", json={"request": "a goldfish running for mayor", "size": "128x128", "lettering": "caption"}
    ).json()

    jobs = [wait_for_job(client, job["id"]) for job in (first, second, other)]

    assert [job["status"] for job in jobs] == ["done"] * 3
    gags = [client.get(f"/api/gallery/{job['gag_id']}").json() for job in jobs]
    together = [gags[0]["id"], gags[1]["id"]]
    assert gags[0]["artist_details"]["batch"] == together
    assert gags[1]["artist_details"]["batch"] == together
    assert gags[2]["id"] not in gags[2]["artist_details"].get("batch", [])  # painted in a call of its own
    assert gags[0]["artist_details"]["seeds"] == [gags[0]["seed"], gags[1]["seed"]]


def test_a_job_that_fails_is_marked_failed_with_its_error_and_spares_its_batch(client):
    concept = client.post("/api/concepts", json={"request": "my cat as a superhero", "seed": 2}).json()["concepts"][0]
    concept["caption"]["text"] = (
        "When the yarn fights back you learn that nine lives were never going to be quite enough"
    )
    # At 128x128 this caption cannot be set in a balloon, but can in a band under the picture.
    doomed, fine = (
        client.post(
            "/api/jobs", json={"request": "my cat", "concepts": [concept], "lettering": lettering, "size": "128x128"}
        ).json()
        for lettering in ("balloon", "caption")
    )

    doomed, fine = wait_for_job(client, doomed["id"]), wait_for_job(client, fine["id"])

    assert doomed["status"] == "failed" and doomed["gag_id"] is None
    assert (
        doomed["error"]
        == "a 128x128 picture has no room for this balloon: shorten the caption or use --lettering caption"
    )
    assert fine["status"] == "done" and fine["error"] is None


def test_concepts_can_be_chosen_and_edited_then_rendered_exactly(client):
    written = client.post("/api/concepts", json={"request": "my cat as a superhero", "n": 3, "seed": 1}).json()
    assert written["writer"] == "offline" and len(written["concepts"]) == 3

    chosen = written["concepts"][1]
    chosen["caption"]["text"] = "Nobody expects the yarn."
    gag = make_gag(client, "my cat as a superhero", concepts=[chosen])

    assert gag["writer"] == "given"
    assert gag["concept"]["title"] == chosen["title"]
    assert gag["concept"]["caption"]["text"] == "Nobody expects the yarn."


def test_the_gallery_lists_reletters_and_deletes_gags(client):
    gag = make_gag(client, lettering="caption")
    before = client.get(gag["image_urls"][0]).content

    assert gag["id"] in [item["id"] for item in client.get("/api/gallery", params={"limit": 50}).json()]
    relettered = client.post(
        f"/api/gallery/{gag['id']}/reletter", json={"lettering": "meme", "caption": "ONE DOES NOT SIMPLY KNIT"}
    )
    assert relettered.status_code == 200, relettered.text
    assert relettered.json()["lettering"] == "meme"
    assert relettered.json()["concept"]["caption"]["text"] == "ONE DOES NOT SIMPLY KNIT"
    assert client.get(gag["image_urls"][0]).content != before

    assert client.delete(f"/api/gallery/{gag['id']}").json() == {"deleted": gag["id"]}
    assert client.get(f"/api/gallery/{gag['id']}").status_code == 404
    assert client.get(gag["image_urls"][0]).status_code == 404


# -- what a request may not do ----------------------------------------------------------------


def test_bad_json_is_answered_422_with_a_clear_message(client):
    broken = client.post("/api/jobs", content=b'{"request": "my cat",', headers={"content-type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["detail"].startswith("the body is not valid JSON")

    too_many = client.post("/api/jobs", json={"request": "my cat", "n": 9, "colour": "red"})
    assert too_many.status_code == 422
    detail = too_many.json()["detail"]
    assert "n: Input should be less than or equal to 8" in detail and "unknown field 'colour'" in detail
    assert "\n" not in detail

    assert client.post("/api/jobs", json={"request": "my cat", "size": "huge"}).json()["detail"] == (
        "size: size 'huge' is not WIDTHxHEIGHT, e.g. 1024x768"
    )


def test_requests_the_studio_refuses_are_answered_400_in_one_line(client):
    for body, expected in [
        ({"request": "   "}, "request"),
        ({"request": "my cat", "subjects": ["Nobody"]}, "no subject named 'Nobody'"),
        ({"request": "my cat", "size": "250x250"}, "multiples of 16"),
        ({"request": "my cat", "artist": "flux:/etc"}, "cannot be chosen by a request"),
        ({"request": "my cat", "writer": "openai-compat:http://169.254.169.254/v1"}, "cannot be chosen by a request"),
    ]:
        response = client.post("/api/jobs", json=body)
        assert response.status_code in (400, 422), body
        assert expected in response.json()["detail"], response.json()


def test_oversized_bodies_are_refused_before_they_are_read(client):
    big = b'{"request": "' + b"x" * (1024 * 1024) + b'"}'
    declared = client.post("/api/jobs", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["detail"] == "the request is too large: at most 1 MB here"

    # Without a Content-Length (chunked), the body is counted as it arrives.
    streamed = client.post("/api/jobs", content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)]),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert streamed.status_code == 413

    photo = b"\x89PNG" + b"0" * (PHOTO_LIMIT + 1)
    upload = client.post("/api/subjects", data={"name": "Mittens"}, files={"photos": ("big.png", photo, "image/png")})
    assert upload.status_code == 413
    assert upload.json()["detail"] == '"big.png" is 1.0 MB: photos are at most 1 MB each'

    too_many = [("photos", (f"{i}.png", png_photo((i * 40, 0, 0)), "image/png")) for i in range(MAX_PHOTOS + 1)]
    refused = client.post("/api/subjects", data={"name": "Mittens"}, files=too_many)
    assert refused.status_code == 400
    assert refused.json()["detail"] == f"{MAX_PHOTOS + 1} photos sent: add at most {MAX_PHOTOS} at a time"


def test_subjects_are_uploaded_as_multipart_under_the_cli_checks(client):
    bad = client.post(
        "/api/subjects",
        data={"name": "Mittens", "kind": "cat"},
        files=[
            ("photos", ("cat1.png", png_photo(), "image/png")),
            ("photos", ("cat.jpg", b"not a photo at all", "image/jpeg")),
        ],
    )
    assert bad.status_code == 400
    assert bad.json()["detail"] == "cat.jpg: not an image (judged by its content, whatever its name says)"
    assert client.get("/api/subjects/Mittens").status_code == 404  # one bad photo and nothing is added

    added = client.post(
        "/api/subjects",
        data={"name": "Mittens", "kind": "cat"},
        files={"photos": ("../../cat1.png", png_photo(), "image/png")},
    )
    assert added.status_code == 201, added.text
    subject = added.json()
    assert subject["name"] == "Mittens" and subject["kind"] == "cat" and len(subject["photos"]) == 1
    assert subject["traits"]  # read off the photo, as `sightgag subjects add` does offline
    photo = client.get("/api/subjects/Mittens/photos/0")
    assert photo.headers["content-type"] == "image/jpeg"

    edited = client.patch(
        "/api/subjects/mittens", json={"traits": ["orange tabby", "one white paw"], "aliases": ["Mitty"]}
    )
    assert edited.json()["traits"] == ["orange tabby", "one white paw"]
    assert client.get("/api/subjects/Mitty").json()["name"] == "Mittens"
    assert "Mittens" in [item["name"] for item in client.get("/api/subjects").json()]

    assert client.delete("/api/subjects/Mittens").json() == {"deleted": "Mittens"}
    assert client.get("/api/subjects/Mittens").status_code == 404


def test_a_degenerate_photo_is_answered_400_in_one_line_and_nothing_is_stored(client):
    wide = io.BytesIO()
    Image.new("RGB", (4000, 2), (235, 140, 40)).save(wide, format="PNG")
    refused = client.post("/api/subjects", data={"name": "Twide"}, files={"photos": ("wide.png", wide.getvalue(), "image/png")})
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("wide.png: 4000x2 is too small a photo")
    assert client.get("/api/subjects/Twide").status_code == 404


def test_parallel_uploads_to_one_subject_all_succeed_and_keep_every_photo(server):
    from concurrent.futures import ThreadPoolExecutor

    def upload(shade: int) -> int:
        with httpx.Client(base_url=server, timeout=60) as client:
            photo = ("racer.png", png_photo((200, 120, shade)), "image/png")
            return client.post("/api/subjects", data={"name": "Racer"}, files={"photos": photo}).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(upload, range(0, 240, 40)))
    with httpx.Client(base_url=server, timeout=60) as client:
        racer = client.get("/api/subjects/Racer").json()
        assert statuses == [201] * 6 and len(racer["photos"]) == 6
        assert all(client.get(f"/api/subjects/Racer/photos/{index}").status_code == 200 for index in range(6))
        client.delete("/api/subjects/Racer")


def test_ids_and_indexes_from_a_request_are_checked_before_any_file_is_touched(client):
    assert client.get("/api/gallery/..%2F..%2Fsightgag.db").status_code == 404
    assert client.get("/api/gallery/20260101-000000-abcdef").status_code == 404
    assert client.get("/api/gags/20260101-000000-abcdef/images/0").status_code == 404
    assert client.get("/api/gags/20260101-000000-abcdef/images/x").status_code == 422
    assert client.get("/api/jobs/../../etc").status_code == 404
    assert client.get("/api/subjects/..%2F..%2Fetc").status_code == 404


def test_pages_elsewhere_cannot_use_a_server_without_a_key(client, server):
    cross_site = client.post("/api/jobs", json={"request": "my cat"}, headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403
    assert "SIGHTGAG_CORS_ORIGINS" in cross_site.json()["detail"]
    # DNS rebinding: a page whose host name resolves to 127.0.0.1 is still not this server's page.
    assert client.get("/api/info", headers={"Host": "evil.example"}).status_code == 400
    own_page = client.post("/api/concepts", json={"request": "my cat"}, headers={"Origin": server})
    assert own_page.status_code == 200


# -- restarts ---------------------------------------------------------------------------------


def test_queued_jobs_survive_a_restart_and_run_after_it(tiny_flux_dir, tmp_path):
    home = tmp_path / "home"
    with running_server(home, studio_env(tiny_flux_dir, SIGHTGAG_SERVER_WORKER="off")) as base_url:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            ids = [client.post("/api/jobs", json={"request": text, "size": SIZE}).json()["id"]
                   for text in ("my cat as a lifeguard", "my dog as a chef")]  # fmt: skip
            time.sleep(0.5)
            assert [client.get(f"/api/jobs/{job_id}").json()["status"] for job_id in ids] == ["queued", "queued"]

    with running_server(home, studio_env(tiny_flux_dir)) as base_url:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            jobs = [wait_for_job(client, job_id) for job_id in ids]
            assert [job["status"] for job in jobs] == ["done", "done"]
            gags = [client.get(f"/api/gallery/{job['gag_id']}").json() for job in jobs]
            # Both were waiting when the worker started, so they were painted together.
            assert gags[0]["artist_details"]["batch"] == [gag["id"] for gag in gags]


def test_an_interrupted_job_runs_once_more_then_fails(tmp_path):
    queue = JobQueue(tmp_path / "sightgag.db")
    job = queue.submit(JobRequest(request="my cat", artist="sketch", size="256x256"), batch_key="sketch|256x256")

    assert [claimed.id for claimed in queue.claim(8)] == [job.id]
    assert queue.recover() == (1, 0)  # the server stopped mid-job: queued again
    assert queue.get(job.id).status == "queued"
    queue.claim(8)
    assert queue.recover() == (0, 1)  # and again: it may be what stops the server
    failed = queue.get(job.id)
    assert failed.status == "failed" and "stopped while this job ran" in failed.error


CRASH_BETWEEN_FILING_AND_DONE = """
import os
from sightgag.server.jobs import JobQueue, JobRequest
from sightgag.server.settings import ServerSettings
from sightgag.server.state import ServerState
from sightgag.settings import Settings

state = ServerState.build(ServerSettings(), Settings(home={home!r}, writer="offline", artist="sketch"))
job = state.submit(JobRequest(request="my cat as a lifeguard", size="256x256", seed=7))
print(job.id, flush=True)

def die(self, job_id, gag_id):
    os._exit(137)  # kill -9 after the gag's row is committed, before the job is marked done

JobQueue.finish = die
state.worker.run(state.jobs.claim(8))
"""


def test_a_job_killed_between_filing_its_gag_and_being_marked_done_files_no_second_gag(tmp_path):
    from sightgag.server.state import ServerState
    from sightgag.settings import Settings

    script = CRASH_BETWEEN_FILING_AND_DONE.format(home=str(tmp_path))
    crashed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert crashed.returncode == 137, crashed.stderr
    job_id = crashed.stdout.split()[0]

    restarted = ServerState.build(ServerSettings(), Settings(home=tmp_path, writer="offline", artist="sketch"))
    assert restarted.jobs.get(job_id).status == "running"
    assert restarted.jobs.recover() == (1, 0)  # as the server does on start: queued again
    restarted.worker.run(restarted.jobs.claim(8))

    job = restarted.jobs.get(job_id)
    gags = restarted.studio.gallery.list()
    assert job.status == "done" and len(gags) == 1 and job.gag_id == gags[0].id


def test_served_gags_and_subjects_name_no_path_of_the_servers_file_system(client, server):
    gag = make_gag(client)
    added = client.post(
        "/api/subjects", data={"name": "Pathfinder"}, files={"photos": ("cat.png", png_photo((10, 200, 90)), "image/png")}
    )
    assert added.status_code == 201, added.text
    assert added.json()["photos"][0].startswith("subjects/")
    home = client.get("/api/subjects/Pathfinder").json()["photos"][0]
    answers = [
        json.dumps(gag),
        client.get("/api/gallery").text,
        client.get("/api/subjects").text,
        json.dumps(read_png_record_of(client.get(f"/api/gags/{gag['id']}/images/0").content)),
    ]
    assert gag["images"] == [f"gallery/{gag['id']}/0.png"] and not home.startswith("/")
    for answer in answers:
        assert '"/' not in answer.replace('"/api/', "")  # no absolute path anywhere, only the API's own URLs
    client.delete("/api/subjects/Pathfinder")


def read_png_record_of(png: bytes) -> dict:
    with Image.open(io.BytesIO(png)) as image:
        return json.loads(image.text["sightgag"])


# -- the API key --------------------------------------------------------------------------------


def test_serving_off_loopback_needs_an_api_key(monkeypatch):
    monkeypatch.setenv("SIGHTGAG_WRITER", "offline")
    monkeypatch.setenv("SIGHTGAG_ARTIST", "sketch")
    with pytest.raises(UsageError, match="SIGHTGAG_API_KEY"):
        create_app(ServerSettings(host="0.0.0.0"))

    app = create_app(ServerSettings(host="0.0.0.0", api_key="correct-horse-battery-staple"))
    client = TestClient(app)  # no lifespan: no worker is needed to check keys
    assert client.get("/health").status_code == 200
    missing = client.get("/api/info")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert client.get("/api/info", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/info", headers={"Authorization": "Bearer correct-horse-battery-staple"}).status_code == 200
    openai_style = client.post("/v1/images/generations", json={"prompt": "my cat"})
    assert openai_style.status_code == 401 and openai_style.json()["error"]["message"]


def test_cors_is_off_unless_origins_are_set(monkeypatch):
    monkeypatch.setenv("SIGHTGAG_WRITER", "offline")
    monkeypatch.setenv("SIGHTGAG_ARTIST", "sketch")
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}

    closed = TestClient(create_app(ServerSettings()), base_url="http://127.0.0.1")
    assert "access-control-allow-origin" not in closed.options("/api/concepts", headers=preflight).headers

    opened = TestClient(create_app(ServerSettings(cors_origins="https://app.example")), base_url="http://127.0.0.1")
    assert (
        opened.options("/api/concepts", headers=preflight).headers["access-control-allow-origin"]
        == "https://app.example"
    )
    allowed = opened.post(
        "/api/concepts", json={"request": "my cat as a superhero"}, headers={"Origin": "https://app.example"}
    )
    assert allowed.status_code == 200 and allowed.json()["concepts"]


def test_the_command_refuses_a_public_host_without_a_key():
    result = subprocess.run(
        [sys.executable, "-m", "sightgag.cli", "serve", "--host", "0.0.0.0", "--port", "9"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "SIGHTGAG_API_KEY" in result.stderr


def test_queued_jobs_casting_different_lora_subjects_are_painted_apart_each_with_its_own_lora(
    tiny_flux_dir, tmp_path, monkeypatch
):
    """Two users' jobs, same artist and size, one casting Mittens and one Rex, each subject with a LoRA."""
    from diffusers import FluxPipeline
    from examples import mittens_concept
    from tiny_flux import build_random_lora

    from sightgag.artist import flux
    from sightgag.server.state import ServerState
    from sightgag.settings import Settings

    home = tmp_path / "home"
    # No repaints: the concept's sign is noise on a tiny random pipeline, and each repaint is a call of its own.
    settings = Settings(home=home, writer="offline", artist=f"flux:{tiny_flux_dir}", retries=0)
    state = ServerState.build(ServerSettings(), settings)
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 64), "orange").save(photo)
    triggers = {"Mittens": "mttnsa6e", "Rex": "rxb12"}
    for seed, (name, kind) in enumerate([("Mittens", "cat"), ("Rex", "dog")]):
        subject, _ = state.studio.subjects.add(name, [photo], kind=kind)
        lora = build_random_lora(tiny_flux_dir, tmp_path / name / "lora.safetensors", rank=4, seed=seed)
        state.studio.subjects.update(subject.model_copy(update={"lora": lora, "trigger": triggers[name]}))
    rex_concept = mittens_concept()
    rex_concept.cast[0] = rex_concept.cast[0].model_copy(update={"name": "Rex", "subject": "Rex", "kind": "dog"})

    calls = []
    applied, call = flux.apply_loras, FluxPipeline.__call__
    def recording_apply(pipe, loras):
        calls.append([lora.subject for lora in loras])
        return applied(pipe, loras)

    monkeypatch.setattr(flux, "apply_loras", recording_apply)

    def recording_call(pipe, *args, **kwargs):
        words = [[name for name, word in triggers.items() if word in prompt] for prompt in kwargs["prompt_2"]]
        calls[-1] = (calls[-1], words, pipe.get_list_adapters().get("transformer", []))
        return call(pipe, *args, **kwargs)

    monkeypatch.setattr(FluxPipeline, "__call__", recording_call)
    jobs = [
        state.submit(JobRequest(request=request, subjects=[name], concepts=[concept], size=SIZE, lettering="caption"))
        for request, name, concept in [
            ("my cat Mittens as a superhero", "Mittens", mittens_concept()),
            ("my dog Rex as a superhero", "Rex", rex_concept),
        ]
    ]
    while batch := state.jobs.claim(8):
        state.worker.run(batch)

    assert [state.jobs.get(job.id).status for job in jobs] == ["done", "done"]
    # Two pipeline calls, each with one LoRA loaded, its own subject's, and only that subject's image.
    assert [(loras, words, len(adapters)) for loras, words, adapters in calls] == [
        (["Mittens"], [["Mittens"]], 1),
        (["Rex"], [["Rex"]], 1),
    ]
    gags = [state.studio.gallery.get(state.jobs.get(job.id).gag_id) for job in jobs]
    assert [[lora["subject"] for lora in gag.artist_details["loras"]] for gag in gags] == [["Mittens"], ["Rex"]]
    flux.unload_all()
