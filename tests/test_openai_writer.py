"""The OpenAI-compatible writer against a real HTTP server on 127.0.0.1 that answers from a script.

The server speaks the chat-completions shape the OpenAI SDK expects, so everything between the writer
and the socket (the SDK's retries, timeouts and error types) runs for real.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sightgag.concept import Box, Caption, CastMember, Concept, Concepts, Device, Style, concepts_schema
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.writer import load_writer
from sightgag.writer.openai_compat import (
    OpenAICompatWriter,
    UnusableAnswer,
    link_subjects,
    parse_concepts,
    provider_schema,
    strict_schema,
)
from sightgag.writer.request import MAX_REQUEST_CHARS, clean_request

MITTENS = Subject(name="Mittens", kind="cat", traits=["orange tabby", "one white front paw"], aliases=["Mitty"])


def make_concept(title: str, premise: str, hero: str = "Mittens", subject: str | None = "Mittens") -> Concept:
    return Concept(
        title=title,
        premise=premise,
        device=Device.mock_heroic,
        cast=[
            CastMember(name=hero, role="hero", subject=subject, kind="cat", box=Box(x=0.2, y=0.25, w=0.45, h=0.7)),
            CastMember(name="giant ball of yarn", role="foil", kind="yarn ball", box=Box(x=0.6, y=0.1, w=0.4, h=0.6)),
        ],
        setting="a living-room rug under a thunderstorm sky",
        moment="Mittens leaps at a yarn ball the size of a car, tea-towel cape flapping",
        style=Style(medium="epic movie poster"),
        caption=Caption(text="Tonight, the yarn unravels.", lettering="caption"),
    )


def concepts_json(*concepts: Concept) -> str:
    return Concepts(concepts=list(concepts)).model_dump_json()


GOOD = concepts_json(make_concept("Yarnageddon", "a housecat fights a yarn ball like a kaiju"))
TWO = concepts_json(
    make_concept("Yarnageddon", "a housecat fights a yarn ball like a kaiju"),
    make_concept("Cape Fear", "the cape is the only thing Mittens is afraid of"),
)
THREE = concepts_json(
    make_concept("Yarnageddon", "a housecat fights a yarn ball like a kaiju"),
    make_concept("Cape Fear", "the cape is the only thing Mittens is afraid of"),
    make_concept("Nine Lives", "Mittens files an insurance claim for each life"),
)


class ScriptedChatServer:
    """Answers POST /v1/chat/completions with the next step of a script; the last step repeats.

    A step is ("answer", text), ("status", code[, error message]) or ("sleep", seconds). Every request
    body is kept in `requests`, its headers in `headers`.
    """

    def __init__(self, *steps, models: list[str] = ("scripted-model",)):
        self.steps = list(steps)
        self.models = list(models)
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                if self.path.rstrip("/") == "/v1/models":
                    data = [{"id": m, "object": "model", "created": 0, "owned_by": "me"} for m in server.models]
                    self._send(200, {"object": "list", "data": data})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.headers.append({key.lower(): value for key, value in self.headers.items()})
                kind, value, *message = server.steps[min(len(server.requests), len(server.steps)) - 1]
                if kind == "sleep":
                    time.sleep(value)
                    self._send(200, completion(GOOD, body))
                elif kind == "status":
                    message = message[0] if message else f"scripted HTTP {value}"
                    self._send(value, {"error": {"message": message, "type": "server_error"}})
                else:
                    self._send(200, completion(value, body))

            def _send(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.block_on_close = False  # don't wait for sleeping handlers on shutdown
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ScriptedChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def completion(text: str, request: dict) -> dict:
    """The chat.completion object OpenAI's API returns."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "scripted-model"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@pytest.fixture
def settings(monkeypatch, tmp_path) -> Settings:
    for name in ("XAI_API_KEY", "SIGHTGAG_XAI_API_KEY", "OPENAI_API_KEY", "SIGHTGAG_OPENAI_API_KEY", "SIGHTGAG_OPENAI_COMPAT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIGHTGAG_HOME", str(tmp_path))
    monkeypatch.setenv("SIGHTGAG_WRITER_TIMEOUT", "5")
    monkeypatch.setenv("SIGHTGAG_WRITER_RETRIES", "2")
    monkeypatch.setenv("SIGHTGAG_WRITER_REASKS", "2")
    return Settings()


def local_writer(server: ScriptedChatServer, settings: Settings) -> OpenAICompatWriter:
    """A keyless writer that already knows the server takes OpenAI's response_format (as Ollama does)."""
    return OpenAICompatWriter("ollama", "scripted-model", settings, base_url=server.url)


def test_invalid_answer_is_sent_back_with_the_validation_error(settings):
    with ScriptedChatServer(("answer", "Sure! Here is a funny idea: a cat."), ("answer", GOOD)) as server:
        writer = local_writer(server, settings)
        concepts = writer.write("my cat Mittens as a superhero fighting a giant ball of yarn", [MITTENS])

    assert [c.title for c in concepts] == ["Yarnageddon"]
    assert len(server.requests) == 2
    first, second = server.requests
    assert len(first["messages"]) == 2
    reask = second["messages"]
    assert reask[:2] == first["messages"]
    assert reask[2] == {"role": "assistant", "content": "Sure! Here is a funny idea: a cat."}
    assert reask[3]["role"] == "user" and "not valid JSON" in reask[3]["content"]
    rejected, accepted = writer.exchanges
    assert rejected["error"].startswith("unusable answer: the answer is not valid JSON")
    assert accepted["error"] is None
    assert writer.exchanges[0]["response"].startswith("Sure!")


def test_schema_violation_names_the_field(settings):
    broken = json.loads(GOOD)
    broken["concepts"][0]["device"] = "slapstick"
    with ScriptedChatServer(("answer", json.dumps(broken)), ("answer", GOOD)) as server:
        local_writer(server, settings).write("a cat in a cape", [MITTENS], seed=7)
    assert "concepts.0.device" in server.requests[1]["messages"][-1]["content"]
    assert [request["seed"] for request in server.requests] == [7, 8], "a re-ask samples afresh"


def test_escapes_and_controls_in_a_models_text_are_dropped_not_obeyed(settings):
    hostile = json.loads(GOOD)
    concept = hostile["concepts"][0]
    concept["title"] = "Captain \x1b]0;pwned\x07[/bold] Whiskers"
    concept["caption"]["text"] = "Tonight,\u202e the yarn \x1b[31munravels."
    concept["cast"][1]["appearance"] = "\u200b"
    with ScriptedChatServer(("answer", json.dumps(hostile))) as server:
        (written,) = local_writer(server, settings).write("a cat in a cape", [MITTENS])

    assert written.title == "Captain [/bold] Whiskers"  # markup is text; whoever prints it escapes it
    assert written.caption.text == "Tonight, the yarn unravels."
    assert written.cast[1].appearance == ""
    assert len(server.requests) == 1


def test_a_required_field_with_nothing_visible_is_asked_again(settings):
    invisible = json.loads(GOOD)
    invisible["concepts"][0]["caption"]["text"] = "\u200b\u2060 \x1b[0m"
    with ScriptedChatServer(("answer", json.dumps(invisible)), ("answer", GOOD)) as server:
        writer = local_writer(server, settings)
        (written,) = writer.write("a cat in a cape", [MITTENS])

    assert written.caption.text == "Tonight, the yarn unravels."
    assert "concepts.0.caption.text" in server.requests[1]["messages"][-1]["content"]
    assert writer.exchanges[0]["error"].startswith("unusable answer")


def test_gives_up_after_the_allowed_reasks(settings):
    settings.writer_reasks = 1
    with ScriptedChatServer(("answer", "{}")) as server:
        writer = local_writer(server, settings)
        with pytest.raises(SightgagError, match="no usable concepts in 2 tries") as caught:
            writer.write("a cat in a cape", [])
    assert len(server.requests) == 2
    assert "\n" not in str(caught.value)


def test_fewer_concepts_than_asked_is_asked_again(settings):
    with ScriptedChatServer(("answer", GOOD), ("answer", TWO)) as server:
        concepts = local_writer(server, settings).write("a cat in a cape", [MITTENS], n=2)
    assert [c.title for c in concepts] == ["Yarnageddon", "Cape Fear"]
    assert "write exactly 2" in server.requests[1]["messages"][-1]["content"]


def test_more_concepts_than_asked_keeps_the_best_first(settings):
    with ScriptedChatServer(("answer", THREE)) as server:
        concepts = local_writer(server, settings).write("a cat in a cape", [MITTENS], n=2)
    assert [c.title for c in concepts] == ["Yarnageddon", "Cape Fear"]
    assert "Write 2 distinct concepts" in server.requests[0]["messages"][1]["content"]


def test_repeated_premises_are_not_distinct(settings):
    same = concepts_json(make_concept("One", "a cat versus yarn"), make_concept("Two", "A cat  versus yarn"))
    with ScriptedChatServer(("answer", same), ("answer", TWO)) as server:
        local_writer(server, settings).write("a cat in a cape", [], n=2)
    assert "same premise" in server.requests[1]["messages"][-1]["content"]


def test_server_error_then_success_is_retried_by_the_client(settings):
    with ScriptedChatServer(("status", 500), ("answer", GOOD)) as server:
        writer = local_writer(server, settings)
        concepts = writer.write("a cat in a cape", [MITTENS])
    assert concepts[0].title == "Yarnageddon"
    assert len(server.requests) == 2  # one failure, one retry
    assert len(writer.exchanges) == 1  # the SDK's retries are one call from the writer's point of view


def test_server_errors_exhaust_the_retries(settings):
    settings.writer_retries = 1
    with ScriptedChatServer(("status", 503)) as server:
        writer = local_writer(server, settings)
        with pytest.raises(SightgagError, match=r"HTTP 503 after 1 retries") as caught:
            writer.write("a cat in a cape", [])
    assert len(server.requests) == 2
    assert writer.exchanges[-1]["error"]
    assert not isinstance(caught.value, UsageError)


def test_a_server_slower_than_the_timeout_fails_in_bounded_time(settings):
    settings.writer_timeout = 0.3
    settings.writer_retries = 1
    with ScriptedChatServer(("sleep", 3)) as server:
        writer = local_writer(server, settings)
        started = time.monotonic()
        with pytest.raises(SightgagError, match="did not answer within 0.3 s") as caught:
            writer.write("a cat in a cape", [])
        elapsed = time.monotonic() - started
    assert len(server.requests) == 2  # the first try and one retry
    assert elapsed < 3, f"took {elapsed:.1f} s; the timeout is not applied"
    assert "SIGHTGAG_WRITER_TIMEOUT" in str(caught.value)


def test_unreachable_server_says_what_to_do(settings):
    settings.writer_retries = 0
    with ScriptedChatServer(("answer", GOOD)) as server:
        url = server.url
    writer = OpenAICompatWriter("openai-compat", f"{url}#m", settings)  # the server is gone now
    with pytest.raises(SightgagError, match="cannot reach"):
        writer.write("a cat in a cape", [])


def test_grok_sends_its_key_and_schema_but_never_logs_the_key(settings, monkeypatch):
    monkeypatch.setenv("XAI_API_KEY", "xai-test-secret")
    with ScriptedChatServer(("answer", GOOD)) as server:
        writer = OpenAICompatWriter("grok", None, Settings(), base_url=server.url)
        writer.write("a cat in a cape", [MITTENS], seed=1234)

    assert writer.spec == "grok:grok-4.3"
    assert server.headers[0]["authorization"] == "Bearer xai-test-secret"
    body = server.requests[0]
    assert body["model"] == "grok-4.3"
    assert body["seed"] == 1234
    assert body["response_format"]["type"] == "json_schema"
    sent = body["response_format"]["json_schema"]["schema"]
    assert sent == provider_schema("pydantic", 1)
    assert sent["$defs"] == concepts_schema()["$defs"], "xAI enforces pydantic's schema as it is"
    assert sent["properties"]["concepts"]["maxItems"] == 1
    assert "xai-test-secret" not in json.dumps(writer.exchanges)
    exchange = writer.exchanges[0]
    assert {"provider", "model", "base_url", "messages", "response", "error", "duration_s", "started"} <= set(exchange)
    assert exchange["provider"] == "grok" and exchange["base_url"] == server.url


def test_missing_keys_name_the_variable(settings):
    with pytest.raises(UsageError, match="grok needs XAI_API_KEY: export XAI_API_KEY="):
        load_writer("grok", settings)
    with pytest.raises(UsageError, match="openai needs OPENAI_API_KEY"):
        load_writer("openai:gpt-5-mini", settings)


def test_a_rejected_key_is_a_clear_usage_error(settings, monkeypatch):
    monkeypatch.setenv("XAI_API_KEY", "xai-wrong")
    with ScriptedChatServer(("status", 401)) as server:
        writer = OpenAICompatWriter("grok", None, Settings(), base_url=server.url)
        with pytest.raises(UsageError, match="rejected the API key .*401.*XAI_API_KEY"):
            writer.write("a cat in a cape", [])
    assert len(server.requests) == 1  # a 401 is not retried


def test_openai_compat_sends_a_gateways_key_only_when_one_is_set(settings, monkeypatch):
    with ScriptedChatServer(("answer", GOOD)) as server:
        OpenAICompatWriter("openai-compat", f"{server.url}#m", settings).write("a cat in a cape", [])
        monkeypatch.setenv("SIGHTGAG_OPENAI_COMPAT_API_KEY", "gateway-secret")
        keyed = OpenAICompatWriter("openai-compat", f"{server.url}#m", Settings())
        keyed.write("a cat in a cape", [])

    keyless, sent = server.headers
    assert keyless["authorization"] != "Bearer gateway-secret"  # a placeholder the openai client needs
    assert sent["authorization"] == "Bearer gateway-secret"
    assert "gateway-secret" not in json.dumps(keyed.exchanges)


def test_a_gateway_that_refuses_the_key_names_the_setting(settings, monkeypatch):
    monkeypatch.setenv("SIGHTGAG_OPENAI_COMPAT_API_KEY", "wrong")
    with ScriptedChatServer(("status", 401)) as server:
        writer = OpenAICompatWriter("openai-compat", f"{server.url}#m", Settings())
        with pytest.raises(UsageError, match="rejected the API key .*SIGHTGAG_OPENAI_COMPAT_API_KEY"):
            writer.write("a cat in a cape", [])


def test_openai_gets_the_strict_schema(settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with ScriptedChatServer(("answer", GOOD)) as server:
        writer = OpenAICompatWriter("openai", None, Settings(), base_url=server.url, max_tokens=2000)
        writer.write("a cat in a cape", [MITTENS])
    body = server.requests[0]
    assert body["max_completion_tokens"] == 2000 and "max_tokens" not in body
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["schema"] == provider_schema("openai_strict", 1)


def test_strict_schema_follows_openais_rules():
    schema = strict_schema(concepts_schema())

    def nodes(node):
        if isinstance(node, dict):
            yield node
            for key, value in node.items():
                if key == "properties":
                    for child in value.values():
                        yield from nodes(child)
                elif key in ("$defs",):
                    for child in value.values():
                        yield from nodes(child)
                elif key in ("items", "anyOf"):
                    yield from nodes(value)
        elif isinstance(node, list):
            for item in node:
                yield from nodes(item)

    objects = [node for node in nodes(schema) if "properties" in node]
    assert len(objects) >= 5  # Concepts, Concept, CastMember, Box, Style, Caption
    for node in objects:
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])
    for node in nodes(schema):
        assert not {"default", "minLength", "maxLength", "const"} & set(node)
        if "$ref" in node:
            assert list(node) == ["$ref"]
    assert "title" in schema["$defs"]["Concept"]["properties"], "the field named 'title' must survive"
    assert concepts_schema()["$defs"]["Concept"]["properties"]["version"].get("const") == 1, "input untouched"


# What llama-cpp-python's server (0.3.x) answers to {"type": "json_schema"}: its request validation error, as HTTP 500.
LLAMA_CPP_PYTHON_REJECTION = (
    "1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}"
)


def test_openai_compat_falls_back_to_the_llama_cpp_python_form(settings):
    with ScriptedChatServer(("status", 500, LLAMA_CPP_PYTHON_REJECTION), ("answer", GOOD)) as server:
        writer = OpenAICompatWriter("openai-compat", f"{server.url}#scripted-model", settings)
        writer.write("a cat in a cape", [MITTENS], n=1)
        writer.write("a dog in a cape", [], n=1)
    formats = [request["response_format"] for request in server.requests]
    assert len(formats) == 3, "the rejected form is asked once, without the client's retries"
    assert formats[0]["type"] == "json_schema"
    assert formats[1] == {"type": "json_object", "schema": provider_schema("grammar", 1)}
    assert formats[2]["type"] == "json_object", "the fallback is remembered"


def test_openai_compat_keeps_openais_form_when_the_failure_is_something_else(settings):
    with ScriptedChatServer(("status", 500), ("answer", GOOD)) as server:
        writer = OpenAICompatWriter("openai-compat", f"{server.url}#scripted-model", settings)
        writer.write("a cat in a cape", [MITTENS], n=1)
    assert [request["response_format"]["type"] for request in server.requests] == ["json_schema", "json_schema"]


def test_openai_compat_uses_the_first_served_model(settings):
    with ScriptedChatServer(("answer", GOOD), models=["tiny-llm", "other"]) as server:
        writer = OpenAICompatWriter("openai-compat", server.url, settings)
        assert writer.spec == f"openai-compat:{server.url}"
        writer.write("a cat in a cape", [])
    assert server.requests[0]["model"] == "tiny-llm"
    assert writer.spec == f"openai-compat:{server.url}#tiny-llm"


def test_openai_compat_needs_a_url(settings):
    with pytest.raises(UsageError, match="needs the server's URL"):
        load_writer("openai-compat", settings)
    with pytest.raises(UsageError, match="http"):
        load_writer("openai-compat:localhost-8080", settings)


def test_load_writer_knows_its_providers(settings, monkeypatch):
    monkeypatch.setenv("XAI_API_KEY", "xai-test")
    assert load_writer("grok", Settings()).spec == "grok:grok-4.3"
    assert load_writer("ollama:llama3.2", settings).spec == "ollama:llama3.2"
    assert load_writer("ollama", settings).base_url == settings.ollama_url
    with pytest.raises(UsageError, match="grok, openai, ollama, openai-compat"):
        load_writer("claude:opus", settings)


def test_subjects_are_linked_by_exact_name():
    concept = make_concept("t", "p", hero="mitty", subject=None)
    concept.cast[1].subject = "the yarn"  # not a subject: cleared
    link_subjects(concept, [MITTENS])
    assert [member.subject for member in concept.cast] == ["Mittens", None]


def test_grammar_schema_keeps_boxes_on_the_canvas_and_asks_for_exactly_n():
    schema = provider_schema("grammar", 3)
    assert schema["properties"]["concepts"]["minItems"] == schema["properties"]["concepts"]["maxItems"] == 3
    box = schema["$defs"]["Box"]["properties"]
    assert box["x"]["enum"][0] == 0 and box["x"]["enum"][-1] == 1
    assert 0 not in box["w"]["enum"], "a width must be positive"
    for value in box["x"]["enum"] + box["w"]["enum"]:
        Box(x=value, y=value, w=max(value, 0.05), h=max(value, 0.05))  # every grid value is a valid box


def test_a_cast_without_a_hero_gets_its_first_member_promoted():
    data = json.loads(GOOD)
    for member in data["concepts"][0]["cast"]:
        member["role"] = "foil"
    concept = parse_concepts(json.dumps(data), n=1)[0]
    assert [member.role for member in concept.cast] == ["hero", "foil"]


def test_cut_off_answers_say_so():
    with pytest.raises(UnusableAnswer, match="cut off"):
        parse_concepts(GOOD[:100], n=1, finish_reason="length")


@pytest.mark.parametrize(
    "request_text, problem",
    [
        ("", "empty"),
        ("   \n\t  ", "empty"),
        ("a" * 50_000, "50,000 characters"),
        ("a cat\x1b[31m in red", "control character"),
        ("a cat\x00", "control character"),
    ],
)
def test_bad_requests_are_refused_before_any_call(settings, request_text, problem):
    with ScriptedChatServer(("answer", GOOD)) as server:
        with pytest.raises(UsageError, match=problem):
            local_writer(server, settings).write(request_text, [])
    assert server.requests == []


def test_requests_are_tidied():
    assert clean_request("  my   cat\r\n as\ta hero ") == "my cat as a hero"
    assert clean_request("x" * MAX_REQUEST_CHARS) == "x" * MAX_REQUEST_CHARS
    with pytest.raises(UsageError):
        clean_request("x" * (MAX_REQUEST_CHARS + 1))


def test_jobs_written_at_once_with_one_writer_each_see_only_their_own_calls(settings):
    # The server writes several jobs at once with one writer; each gag's log must hold its own calls.
    with ScriptedChatServer(("sleep", 0.3)) as server:  # each answer takes a moment, so the calls overlap
        writer = local_writer(server, settings)
        asked: dict[str, list[str]] = {}

        def write(request: str) -> None:
            writer.write(request, [MITTENS])
            asked[request] = [exchange["messages"][-1]["content"] for exchange in writer.exchanges]

        requests = ["my cat Mittens as a lifeguard", "my cat Mittens as a pastry chef"]
        threads = [threading.Thread(target=write, args=(request,)) for request in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(server.requests) == 2
    for request in requests:
        assert len(asked[request]) == 1 and request in asked[request][0]
