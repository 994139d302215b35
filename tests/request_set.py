"""The requests the offline writer and editor are measured on.

`tests/data/requests.jsonl` (one JSON object a line with a "request", or a bare JSON string) when it is
there; until then, the requests the offline writer's tests use.
"""

from __future__ import annotations

import json
from pathlib import Path

REQUESTS_FILE = Path(__file__).parent / "data" / "requests.jsonl"

FALLBACK = [
    "my cat Mittens as a superhero fighting a giant ball of yarn",
    "my dog Biscuit giving a TED talk about squirrels",
    "grandma Rosa winning a skateboarding contest",
    "Dave from accounting vs the office printer",
    "me at the gym",
    "a toaster falling in love with a waffle iron",
    "José fighting a pigeon",
    "Zoë as a pirate",
    "my boss Karen in the kitchen",
    "grandpa arguing with the self-checkout machine",
    "a tiny hamster guarding a bank vault",
    "my dog barking at the mailman",
    "me vs Monday",
    "the office printer on strike",
    "José and Zoë dancing the tango",
    "Mittens knocks a glass off the table",
    "an angry goose running for mayor",
    "my kids building a fort in the living room",
    "Biscuit wearing a tuxedo at a wedding",
    "grandma as a DJ",
    "a penguin doing my taxes",
    "Mittens vs. the vacuum cleaner in the kitchen",
    "my roommate trying to assemble IKEA furniture",
    "my husband losing to the GPS",
    "my two cats arguing about who gets the sunny spot",
]


def load_requests() -> list[str]:
    if not REQUESTS_FILE.exists():
        return list(FALLBACK)
    requests = []
    for line in REQUESTS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        requests.append(item if isinstance(item, str) else item["request"])
    return requests
