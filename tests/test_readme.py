"""The README holds together as a page: every in-page link lands on a heading, the contents list
every section in order, and every file it links to is in the checkout. (A link to a heading
that was renamed or moved goes nowhere on GitHub, silently.)"""

from __future__ import annotations

import re

import pytest

from tests.processes import ROOT

pytestmark = pytest.mark.backend_independent

README = ROOT / "README.md"


def lines_outside_code() -> list[str]:
    """The README's lines, fenced code blocks left out (a `# comment` there is no heading)."""
    kept, fenced = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return kept


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings() -> list[tuple[int, str]]:
    """(level, text) of each heading, in order."""
    found = (re.match(r"^(#{1,6}) (.+)$", line) for line in lines_outside_code())
    return [(len(m.group(1)), m.group(2)) for m in found if m]


def anchors() -> set[str]:
    """Every anchor the page has; a repeated heading's second anchor ends `-1`, as on GitHub."""
    seen: dict[str, int] = {}
    for _, text in headings():
        base = slug(text)
        count = seen.get(base, 0)
        seen[base] = count + 1
        if count:
            seen[f"{base}-{count}"] = 1
    return set(seen)


def test_the_slug_is_githubs():
    assert slug("Glossary: how a promise ends") == "glossary-how-a-promise-ends"
    assert slug("`/case report [window]`") == "case-report-window"
    assert slug("The bot's DM") == "the-bots-dm"
    assert slug("Managers: who escalates to whom") == "managers-who-escalates-to-whom"


def test_every_in_page_link_lands_on_a_heading():
    text = "\n".join(lines_outside_code())
    links = re.findall(r"\]\(#([^)\s]+)\)", text)
    assert links, "the README links within itself"
    assert sorted({link for link in links if link not in anchors()}) == []


def test_the_contents_list_every_section_and_subsection_in_order():
    text = "\n".join(lines_outside_code())
    contents = re.search(r"^## Contents\n(.*?)(?=^## )", text, re.S | re.M)
    assert contents, "README has a '## Contents' section"
    listed = re.findall(r"\[[^\]]+\]\(#([^)]+)\)", contents.group(1))
    sections = [slug(text) for level, text in headings() if level in (2, 3) and text != "Contents"]
    assert listed == sections


def test_every_file_the_readme_links_to_is_in_the_checkout():
    text = "\n".join(lines_outside_code())
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert local, "the README links to files of the checkout"
    assert [t for t in local if not (ROOT / t).exists()] == []
