"""A question the documents do not answer gets a plain refusal that shows what they do say.

Which questions are refused is measured by the eval sets (answer and refusal accuracy, gated in
`make test`); these tests check what a refusal looks like to an official.
"""

from __future__ import annotations

import pytest

from assistant.service import Assistant

pytestmark = pytest.mark.slow


def test_a_refusal_says_so_and_quotes_the_closest_passages(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("Diện tích tự nhiên của tỉnh Bến Tre là bao nhiêu km2?")
    assert not result.found, result.answer
    first, *closest = result.answer.split("\n")
    assert "không có thông tin" in first
    quoted = [line for line in closest if line.startswith("- \"")]
    assert quoted, result.answer
    # Each closest passage is cited, so the official can open it.
    assert len(result.citations) == len(quoted)
    assert all(f"[{c.n}]" in result.answer for c in result.citations)
