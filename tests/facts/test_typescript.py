"""The TypeScript/JavaScript reader used for CDK apps: comments, strings, constructs, properties."""

from __future__ import annotations

from mlscan.facts.typescript import prop, split_top, strings, strip_comments


def test_comments_are_blanked_outside_strings_only() -> None:
    code = "const u = 'https://example.com/x'; // a comment\n/* block\ncomment */ const t = `a // b`;"
    out = strip_comments(code)
    assert "https://example.com/x" in out and "a // b" in out
    assert "a comment" not in out and "block" not in out
    assert len(out) == len(code) and out.count("\n") == code.count("\n")


def test_object_literal_properties_and_top_level_split() -> None:
    obj = "{ actionName: 'Approve', notifyEmails: [props.email, 'x@y.z'], nested: { commands: ['a, b'] }, runOrder }"
    assert prop(obj, "actionName") == "'Approve'"
    assert prop(obj, "nested") == "{ commands: ['a, b'] }"
    assert prop(obj, "runOrder") == "runOrder"  # shorthand property
    assert prop(obj, "missing") is None
    assert split_top("a, f(b, c), [d, e], 'g, h'") == ["a", "f(b, c)", "[d, e]", "'g, h'"]
    assert strings("x('a', \"b\", `c`)") == ["a", "b", "c"]
