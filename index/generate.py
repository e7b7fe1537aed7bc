"""The optional generative answer: an OpenAI-compatible chat endpoint writes the answer from the numbered passages
only; only the sentences that carry a valid ``[n]`` are kept, renumbered by first use. index/answer.py calls
``generate`` after its extractive answer and keeps that one, with a note saying why, on any failure."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from .hits import numbered_hit

SYSTEM_PROMPT = (
    "You answer questions about council board papers using ONLY the numbered passages given. "
    "After every sentence put the number of the passage that supports it in square brackets, e.g. [2]. "
    "Do not use any other knowledge. If the passages do not answer the question, say so in one sentence without a citation."
)


def _prompt(question: str, hits: list[dict]) -> str:
    blocks = []
    for i, h in enumerate(hits, 1):
        head = " · ".join(str(x) for x in (h.get("council"), h.get("body"), h.get("meeting_date"), h.get("item")) if x)
        blocks.append(f"[{i}] ({head})\n{h['text'].strip()}")
    return "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}\nAnswer with [n] citations:"


_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def filter_cited(reply: str, n_passages: int) -> tuple[list[tuple[str, list[int]]], int]:
    """Sentences of ``reply`` that carry at least one valid [n]; invalid numbers are removed. (kept, dropped count)."""
    kept = []
    dropped = 0
    text = " ".join(reply.split())
    parts = re.split(r"(?<=[.!?\]])\s+(?=[A-Z(\"“])", text)
    for sent in parts:
        if not sent.strip():
            continue
        nums = [int(x) for m in _CITE.finditer(sent) for x in m.group(1).split(",")]
        valid = [n for n in nums if 1 <= n <= n_passages]
        if not valid:
            dropped += 1
            continue
        clean = _CITE.sub(lambda m: "".join(f"[{x}]" for x in (int(y) for y in m.group(1).split(",")) if 1 <= x <= n_passages), sent)
        kept.append((clean.strip(), valid))
    return kept, dropped


def generate(question: str, hits: list[dict], url: str, model: str | None, key: str | None, timeout: float) -> dict:
    """{"result": {answer, citations, abstained}, "notes": [...]} from the endpoint at ``url``, or {"error": why}."""
    from boardpapers.settings import settings

    env = settings()
    model = model or env.llm_model or "default"
    key = key or env.llm_key
    body = json.dumps(
        {
            "model": model,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": _prompt(question, hits)}],
            "temperature": 0,
        }
    ).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = json.loads(resp.read().decode("utf-8"))
        reply = payload["choices"][0]["message"]["content"]
        if not isinstance(reply, str):
            raise ValueError("reply content is not text")
    except urllib.error.HTTPError as exc:
        return {"error": f"HTTP {exc.code} from {url}"}
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return {"error": f"cannot reach {url}: {getattr(exc, 'reason', exc)}"}
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return {"error": f"unreadable reply from {url}: {type(exc).__name__}"}
    kept, dropped = filter_cited(reply, len(hits))
    if not kept:
        return {"error": "the reply had no sentence with a valid [n] citation"}
    # renumber the cited passages in order of first use
    numbers: dict[int, int] = {}
    for _, nums in kept:
        for n in nums:
            numbers.setdefault(n, len(numbers) + 1)
    sentences = [
        _CITE.sub(lambda m: "".join(f"[{numbers[int(x)]}]" for x in m.group(1).split(",") if int(x) in numbers), s) for s, _ in kept
    ]
    citations = [numbered_hit(hits[n - 1], new) for n, new in numbers.items()]
    notes = [f"dropped {dropped} generated sentence(s) without a valid citation"] if dropped else []
    return {"result": {"answer": " ".join(sentences), "citations": citations, "abstained": False}, "notes": notes}
