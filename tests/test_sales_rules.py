"""The examples written into nlp/rules/sales.yaml, run against the rules they document."""

import pytest

from nlp.phrases import normalise
from nlp.need_fit import fit_rules
from nlp.sales import first_match, sales_rules

RULES = sales_rules()


def _section(name: str):
    if name.startswith("disclosures."):
        return RULES.disclosures[name.split(".", 1)[1]][0]
    if name in RULES.responses:
        return RULES.responses[name]
    return getattr(RULES, name)  # every other section is the SalesRules field of its name


CASES = [(name, kind, text) for name, ex in RULES.examples.items() for kind in ("match", "no_match") for text in ex.get(kind, [])]


@pytest.mark.parametrize("section, kind, text", CASES, ids=[f"{s}-{k}-{i}" for i, (s, k, _) in enumerate(CASES)])
def test_rule_file_examples(section: str, kind: str, text: str) -> None:
    rule = first_match(_section(section), normalise(text))
    if kind == "match":
        assert rule is not None, f"{section} should match: {text}"
    else:
        assert rule is None, f"{section} should not match ({rule.id if rule else ''}): {text}"


def test_every_section_documents_both_ways() -> None:
    for name, ex in RULES.examples.items():
        assert ex.get("match"), name
        if name != "accept_after_close":
            assert ex.get("no_match"), name


FIT_CASES = [(section, kind, text) for section, ex in fit_rules().examples.items() for kind in ("match", "no_match") for text in ex[kind]]


@pytest.mark.parametrize("section, kind, text", FIT_CASES)
def test_need_fit_rule_examples(section: str, kind: str, text: str) -> None:
    rules = getattr(fit_rules(), section)
    assert (first_match(rules, normalise(text)) is not None) == (kind == "match"), text
