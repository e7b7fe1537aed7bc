"""The optional generative answer: an OpenAI-compatible chat endpoint (llama.cpp's server, Ollama, ...) phrases the
answer from the extractive answer's cited passages only; a sentence is kept only when it carries a valid ``[n]`` and
the passages it cites support it (content-word overlap, every number present), renumbered by first use, and the
answer says how many were left out. index/answer.py calls ``generate`` after its extractive answer and keeps that one,
with a note saying why, on any failure. Standard library HTTP (urllib); never called unless asked for."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from .hits import numbered_hit
from .tokenize import tokenize

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


SUPPORT = 0.6  # share of a generated sentence's content words that its cited passages must hold


def supported(sentence: str, cited: list[str]) -> bool:
    """Do the cited passages support the sentence? Most of its content words (BM25 terms: stemmed, stopwords out) are
    in them, and every number it states is."""
    terms = set(tokenize(_CITE.sub(" ", sentence)))
    if not terms:
        return False
    have = set(tokenize(" ".join(cited)))
    numbers = {t for t in terms if any(ch.isdigit() for ch in t)}
    return numbers <= have and len(terms & have) / len(terms) >= SUPPORT


def _post(url: str, body: bytes, key: str | None, timeout: float) -> str:
    """The reply text of an OpenAI-compatible chat completion (raises on any failure)."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        payload = json.loads(resp.read().decode("utf-8"))
    reply = payload["choices"][0]["message"]["content"]
    if not isinstance(reply, str):
        raise ValueError("reply content is not text")
    return reply


def generate(question: str, hits: list[dict], url: str, model: str | None, key: str | None, timeout: float) -> dict:
    """{"result": {answer, citations, abstained}, "notes": [...]} from the endpoint at ``url`` given the passages
    ``hits`` (the extractive answer's citations), or {"error": why}. Sentences without a valid [n], or whose cited
    passages do not support them, are left out, and the answer says so."""
    from boardpapers.settings import settings

    env = settings()
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": _prompt(question, hits)}]
    body = json.dumps({"model": model or env.llm_model or "default", "messages": messages, "temperature": 0}).encode("utf-8")
    try:
        reply = _post(url, body, key or env.llm_key, timeout)
    except urllib.error.HTTPError as exc:
        return {"error": f"HTTP {exc.code} from {url}"}
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return {"error": f"cannot reach {url}: {getattr(exc, 'reason', exc)}"}
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return {"error": f"unreadable reply from {url}: {type(exc).__name__}"}
    cited, dropped = filter_cited(reply, len(hits))
    kept = [(s, nums) for s, nums in cited if supported(s, [hits[n - 1]["text"] for n in nums])]
    unsupported = len(cited) - len(kept)
    if not kept:
        return {"error": "no sentence of the reply is supported by the passage it cites"}
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
    answer = " ".join(sentences)
    if unsupported:
        notes.append(f"left out {unsupported} generated sentence(s) that the passages they cite do not support")
    if unsupported + dropped:
        why = "the passages they cite do not support them" if not dropped else "no valid citation, or no support in the passage cited"
        answer += f" ({unsupported + dropped} generated sentence(s) left out: {why}.)"
    return {"result": {"answer": answer, "citations": citations, "abstained": False}, "notes": notes}
