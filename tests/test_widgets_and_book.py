"""Widgets drive the engine (a change to an input changes the output), and the rule catalogue is
generated from the registry, one page per rule."""

from __future__ import annotations

from pumpbill import widgets as w
from pumpbill.bookgen import index_markdown, write
from pumpbill.rules import REGISTRY


def _children(box):
    out = []
    for c in getattr(box, "children", ()):
        out.append(c)
        out.extend(_children(c))
    return out


def _find(box, cls, description=None):
    return next(c for c in _children(box)
                if isinstance(c, cls) and description in (None, getattr(c, "description", None)))


def test_code_chooser_follows_its_inputs():
    box = w.code_chooser()
    out = _find(box, w.W.HTML)
    assert "62369" in out.value
    _find(box, w.W.Dropdown, "Done by").value = "physician"
    assert "62370" in out.value
    _find(box, w.W.Checkbox, "reprogramming").value = False
    assert "95991" in out.value
    _find(box, w.W.Dropdown, "POS").value = "22"
    _find(box, w.W.Dropdown, "Done by").value = "clinical_staff"
    assert "hospital bills" in out.value


def test_choose_html_strict_and_lenient():
    strict = w.choose_html("programmable", "intrathecal", True, True, True, "reservoir_volume", "clinical_staff", "11")
    lenient = w.choose_html("programmable", "intrathecal", True, True, True, "reservoir_volume", "clinical_staff",
                            "11", "example-commercial")
    assert "95990" in strict and "62369" in lenient


def test_documentation_checker():
    box = w.documentation_checker()
    out = _children(box)[-1]
    before = out.value
    for c in _children(box):
        if isinstance(c, w.W.Checkbox):
            c.value = True
    assert "every element" in out.value and out.value != before
    assert "PB503" in w.documentation_html("62369", {"device", "interrogation"})


def test_units_calculator_and_claim_checker():
    box = w.units_calculator()
    out = _children(box)[-1]
    assert "JZ" in out.value and ">4<" in out.value
    _find(box, w.W.FloatText, "Discarded").value = 20
    assert "JW" in out.value
    html = w.claim_html(w.EXAMPLE_CLAIM)
    assert "PB002" in html and "PB105" in html and "PB203" in html
    assert "Cannot check" in w.claim_html("encounter: [")


def test_diagnosis_pointer_and_planner():
    html = w.diagnosis_html("G35, Z45.1", "2026-01-05")
    assert "PB402" in html and "header" in html
    assert "Cannot check" in w.diagnosis_html("Z45.1", "not a date")
    plan = w.planner_html("2026-03-02", 20, 2, "2000 mcg/mL", "400 mcg")
    assert "<b>90</b>" in plan and "2026-05-31" in plan and "<svg" in plan
    zic = w.planner_html("2026-03-02", 20, 2, "25 mcg/mL", "3 mcg", "ziconotide", False)
    assert "40 days" in zic
    box = w.refill_planner()
    out = _children(box)[-1]
    _find(box, w.W.Text, "Daily dose").value = "800 mcg"
    assert "<b>45</b>" in out.value


def test_spot_the_error():
    cases = w.spot_cases()
    assert len(cases) >= 10
    code, text = cases[0]
    assert "Right" in w.spot_html(text, code, code)
    other = next(c for c in REGISTRY if c not in {x for x, _ in cases} and REGISTRY[c].severity == "info")
    assert "Not this one" in w.spot_html(text, other, code)


def test_rule_catalogue_is_generated_from_the_registry(tmp_path):
    pages = write(tmp_path)
    assert len(pages) == len(REGISTRY) + 1
    for code, rule in REGISTRY.items():
        text = (tmp_path / f"{code.lower()}.md").read_text()
        for section in ("What it checks", "Why it matters", "Example", "Correct coding", "Source", "Confidence"):
            assert f"## {section}" in text
        assert rule.what in text and "```yaml" in text
        assert (":::{admonition} Verify" in text) == (rule.confidence_level != "high")
    index = index_markdown()
    assert all(f"[{c}]({c.lower()}.md)" in index for c in REGISTRY)
    assert write(tmp_path) == pages  # idempotent


def test_book_widgets_withdraw_an_answer_when_its_input_changes():
    """A verdict belongs to the input it was computed for: the claim checker and spot-the-error clear theirs."""
    import ipywidgets as W

    from pumpbill.widgets import EXAMPLE_CLAIM, STALE_CLAIM, claim_checker, spot_the_error

    def walk(w):
        yield w
        for c in getattr(w, "children", ()):
            yield from walk(c)

    w = claim_checker()
    area = next(x for x in walk(w) if isinstance(x, W.Textarea))
    out = [x for x in walk(w) if isinstance(x, W.HTML)][-1]
    assert "PB002" in out.value
    area.value = EXAMPLE_CLAIM.replace('{code: "62369", units: 1', '{code: "95990", units: 1')
    assert out.value == STALE_CLAIM
    next(x for x in walk(w) if isinstance(x, W.Button)).click()
    assert "PB002" not in out.value and out.value != STALE_CLAIM

    w = spot_the_error()
    answer = next(x for x in walk(w) if getattr(x, "description", "") == "Error")
    out = [x for x in walk(w) if isinstance(x, W.HTML)][-1]
    next(x for x in walk(w) if isinstance(x, W.Button)).click()
    assert out.value
    answer.value = next(v for _label, v in answer.options if v != answer.value)
    assert out.value == ""
