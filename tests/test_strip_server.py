"""Strips through the HTTP API: a job with `panels` makes a strip, filed and browsed beside gags."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from server_fixture import running_server
from test_server import wait_for_job

pytestmark = pytest.mark.slow
SIZE = "256x256"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    env = {"SIGHTGAG_WRITER": "offline", "SIGHTGAG_ARTIST": "sketch"}
    with running_server(tmp_path_factory.mktemp("server-home"), env) as base_url:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            yield client


def test_a_strip_job_files_one_page_and_its_panels_beside_the_gags(client):
    gag_job = client.post("/api/jobs", json={"request": "my dog giving a TED talk about squirrels", "size": "256x256"})
    strip_job = client.post(
        "/api/jobs",
        json={
            "request": "my cat Mittens vs a giant ball of yarn",
            "panels": 3,
            "layout": "column",
            "seed": 4,
            "size": "320x320",
        },
    )
    assert gag_job.status_code == strip_job.status_code == 202, strip_job.text
    done = wait_for_job(client, strip_job.json()["id"])
    assert done["status"] == "done", done["error"]
    assert wait_for_job(client, gag_job.json()["id"])["status"] == "done"

    strip = client.get(f"/api/gallery/{done['gag_id']}").json()
    assert len(strip["strip"]["panels"]) == 3 and strip["layout"] == "column" and strip["seed"] == 4
    assert len(strip["render_urls"]) == 3 and len(strip["image_urls"]) == 1
    page = Image.open(io.BytesIO(client.get(strip["image_urls"][0]).content))
    assert page.height > 3 * 320 and page.width < 2 * 320  # one column of three panels
    panel = Image.open(io.BytesIO(client.get(strip["render_urls"][2]).content))
    assert panel.size == (320, 320)

    reworded = client.post(
        f"/api/gallery/{done['gag_id']}/reletter",
        json={"balloon": "1.1", "caption": "Quiet night. Too quiet.", "layout": "row"},
    )
    assert reworded.status_code == 200, reworded.text
    assert reworded.json()["strip"]["panels"][0]["balloons"][0]["text"] == "Quiet night. Too quiet."
    row = Image.open(io.BytesIO(client.get(reworded.json()["image_urls"][0]).content))
    assert row.width > 3 * 320 and row.height < 2 * 320
    refused = client.post(f"/api/gallery/{done['gag_id']}/reletter", json={"balloon": "9.1", "caption": "Hi."})
    assert refused.status_code == 400 and "no balloon" in refused.text

    listed = client.get("/api/gallery").json()
    kinds = {item["id"]: "strip" in item for item in listed}
    assert kinds[done["gag_id"]] and kinds[wait_for_job(client, gag_job.json()["id"])["gag_id"]] is False


def test_a_strip_of_five_panels_or_of_given_concepts_is_refused(client):
    response = client.post("/api/jobs", json={"request": "my cat", "panels": 5})
    assert response.status_code == 422 and "panels" in response.text
    concept = client.post("/api/concepts", json={"request": "my cat", "n": 1}).json()["concepts"][0]
    response = client.post("/api/jobs", json={"request": "my cat", "panels": 3, "concepts": [concept]})
    assert response.status_code == 422 and "not both" in response.text


def test_what_only_a_gag_has_is_refused_for_a_strip_not_ignored(client):
    for extra, said in (({"n": 2}, "one page"), ({"lettering": "meme"}, "lettering"), ({"punch_up": True}, "punch_up")):
        response = client.post("/api/jobs", json={"request": "my cat", "panels": 3, **extra})
        assert response.status_code == 422 and said in response.text, extra
    assert client.post("/api/jobs", json={"request": "my cat", "panels": 3, "n": 1}).status_code == 202


def test_a_strip_job_hands_its_editor_candidates_and_retries_to_the_studio(tmp_path):
    from sightgag.server.jobs import JobRequest
    from sightgag.server.settings import ServerSettings
    from sightgag.server.state import ServerState
    from sightgag.settings import Settings

    def run(state: ServerState, **params) -> dict:
        job = state.submit(JobRequest(request="a tiny hamster guarding a bank vault", panels=3, size=SIZE, **params))
        while batch := state.jobs.claim(8):
            state.worker.run(batch)
        return state.jobs.get(job.id).model_dump()

    state = ServerState.build(ServerSettings(), Settings(home=tmp_path / "home", writer="offline", artist="sketch"))
    done = run(state, seed=4, editor="offline", candidates=3, retries=0)
    assert done["status"] == "done", done["error"]
    record = state.studio.gallery.get(done["gag_id"]).editor
    assert record.editor == "offline" and record.candidates == 3 and len(record.ranking) == 3
    assert len(record.pictures) == 3
    unknown = run(state, editor="critic")
    assert unknown["status"] == "failed" and "unknown editor 'critic'" in unknown["error"]

    # A safety check that blocks everything shows how many tries each panel had: the job's, or the settings' 2 repaints.
    blocking = ServerState.build(
        ServerSettings(), Settings(home=tmp_path / "blocking", writer="offline", artist="sketch", safety_threshold=0.0)
    )
    once, default = run(blocking, seed=5, retries=0), run(blocking, seed=5)
    assert once["status"] == default["status"] == "failed"
    assert "blocked panel(s) 1, 2, 3 of this strip in 1 try each" in once["error"]
    assert "in 3 tries each; nothing was saved" in default["error"]
    assert blocking.studio.gallery.list() == []
