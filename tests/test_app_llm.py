"""The Ask view's optional language-model field: with a chat endpoint's URL the answer is phrased from the cited
passages (a fake OpenAI-compatible server on 127.0.0.1 here), an unsupported sentence is left out and the view says so;
with the field empty nothing is sent."""

from __future__ import annotations

import html
import re

import pytest
from fakellm import chat_server
from test_app import app_env, markdown_text, run_app, search, small  # noqa: F401 - the app's fixtures and helpers

SLOW_FIXTURES = {"small"}


def _echo(body: dict) -> str:
    """The first sentence of passage [1] (supported) and one sentence no passage supports."""
    prompt = body["messages"][1]["content"]
    passage = prompt.split("[1] (", 1)[1].split(")\n", 1)[1].split("\n\n[2]", 1)[0].split("\n\nQuestion:", 1)[0]
    first = re.split(r"(?<=[.!?])\s+", " ".join(passage.split()))[0].rstrip(".")
    return f"{first} [1]. The council also agreed to build a zoo on the moon [1]."


@pytest.fixture()
def chat():
    with chat_server(_echo) as served:
        yield served


def test_ask_view_phrases_with_a_language_model_when_asked(app_env, chat):  # noqa: F811 - the fixture imported above
    url, seen = chat
    at = search(run_app(), "What was decided about zebrafinch library opening hours?", mode="Ask")
    assert not seen  # off by default
    at.text_input(key="llm_url").set_value(url).run()
    assert not at.exception, at.exception
    assert len(seen) == 1
    md = markdown_text(at)
    assert 'class="bp-answer"' in md and "zoo" not in md
    assert "1 generated sentence(s) left out" in html.unescape(md)  # said in the answer (escaped: text from a model)
    assert any("do not support" in html.unescape(c.value) for c in at.caption)
    assert "<sup>&#91;1&#93;</sup>" in md and '<span class="bp-n">&#91;1&#93;</span>' in md  # cited, with its card
