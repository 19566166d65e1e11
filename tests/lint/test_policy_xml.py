"""Policy XML: expressions tolerated, XXE refused unread, typos suggested, positions right."""

from __future__ import annotations

import sys

import pytest

from apiops_core.lint import lint_state
from apiops_core.lint.policy_xml import PolicyValidator, mask_expressions, named_value_refs, parse_policy

from .cases import GOOD_POLICY, XXE_POLICY, _content, good_tree

EXPRESSION_POLICIES = [
    # unescaped quotes inside an attribute value
    '<policies><inbound><set-variable name="a" value="@(context.Request.Headers.GetValueOrDefault("x", "y"))" /></inbound></policies>',
    # bare < and && in an attribute
    '<policies><inbound><choose><when condition="@(context.Response.StatusCode < 400 && context.Variables.ContainsKey("k"))">'
    "<set-status code=\"200\" /></when></choose></inbound></policies>",
    # a multi-line block expression with generics, a verbatim string, a char literal and braces in strings
    "<policies><outbound><set-body>@{\n  var s = context.Response.Body.As<string>(preserveContent: true);\n"
    '  var t = @"say ""}"" now";\n  char c = \'"\';\n  if (s.Length < 3 && c != \'{\') { return "{\\"a\\": \\"<b>\\"}"; }\n'
    '  // a comment with a quote " and a brace }\n  return s;\n}</set-body></outbound></policies>',
    # an XML declaration inside a string of an expression
    '<policies><inbound><set-body>@{ return "<?xml version=\'1.0\'?><Envelope>" + "</Envelope>"; }</set-body></inbound></policies>',
    # an interpolated string with a nested quote
    '<policies><inbound><set-header name="x" exists-action="override"><value>@($"{context.Request.Headers.GetValueOrDefault("a", "")}-{1}")</value></set-header></inbound></policies>',
]


@pytest.mark.parametrize("text", EXPRESSION_POLICIES)
def test_expression_laden_policies_are_not_malformed(text: str) -> None:
    parsed = parse_policy(text)
    assert parsed.issue is None, parsed.issue
    assert PolicyValidator().validate(parsed, fragment=False) == []


def test_masking_keeps_length_and_line_breaks() -> None:
    text = '<a b="@(x("y"))">\n@{\n return "}";\n}</a>'
    masked = mask_expressions(text)
    assert len(masked) == len(text)
    assert masked.count("\n") == text.count("\n")
    assert '"y"' not in masked and "return" not in masked


def test_real_malformation_is_still_reported_with_position() -> None:
    parsed = parse_policy("<policies>\n  <inbound>\n    <base>\n  </inbound>\n</policies>")
    assert parsed.issue is not None and parsed.issue.code == "malformed"
    assert parsed.issue.line == 4


def test_typo_reported_with_suggestion_line_and_column() -> None:
    state, _ = _content("api-policy", ("orders",), GOOD_POLICY.replace("<set-header", "<set-heder", 1).replace("</set-header>", "</set-heder>", 1))
    report = lint_state(state)
    [finding] = [f for f in report.findings if f.rule_id == "AO203"]
    assert "did you mean <set-header>" in finding.message
    assert finding.path == "apis/orders/policy.xml"
    assert (finding.line, finding.column) == (4, 3)


def test_missing_required_attribute_is_reported() -> None:
    parsed = parse_policy('<policies><inbound><rate-limit calls="{{calls}}" /></inbound></policies>')
    issues = PolicyValidator().validate(parsed, fragment=False)
    assert [i.code for i in issues] == ["invalid"]
    assert "renewal-period" in issues[0].message


def test_named_value_placeholders_in_typed_attributes_are_accepted() -> None:
    parsed = parse_policy('<policies><inbound><set-header name="a" exists-action="{{action}}" /><ip-filter action="@(x)" /></inbound></policies>')
    assert PolicyValidator().validate(parsed, fragment=False) == []


def test_fragment_root_is_checked() -> None:
    validator = PolicyValidator()
    assert validator.validate(parse_policy("<fragment><set-status code=\"200\" /></fragment>"), fragment=True) == []
    issues = validator.validate(parse_policy("<policies><inbound /></policies>"), fragment=True)
    assert issues and "root element must be <fragment>" in issues[0].message


def test_dangling_named_value_is_reported_with_position() -> None:
    state, _ = _content("api-policy", ("orders",), GOOD_POLICY.replace("{{orders-key}}", "{{missing-key}}"))
    [finding] = [f for f in lint_state(state).findings if f.rule_id == "AO301"]
    assert "missing-key" in finding.message
    assert finding.path == "apis/orders/policy.xml" and finding.line == 11 and finding.column == 11


def test_liquid_is_not_a_named_value() -> None:
    text = '<policies><outbound><set-body template="liquid">{{- body.name }} {{context.Request.Url}}</set-body></outbound></policies>'
    assert named_value_refs(text) == []


def test_xxe_is_refused_not_expanded_and_no_file_is_read(tmp_path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOP-SECRET-CONTENT")
    payload = XXE_POLICY.replace("file:///etc/hostname", secret_file.as_uri())
    opened: list[str] = []
    active = [True]

    def hook(event: str, args: tuple) -> None:
        if active[0] and event == "open" and args and str(args[0]).endswith("secret.txt"):
            opened.append(str(args[0]))

    sys.addaudithook(hook)
    try:
        state, _ = _content("api-policy", ("orders",), payload)
        report = lint_state(state)
    finally:
        active[0] = False
    assert opened == []
    text = "\n".join(f.message for f in report.findings)
    assert "TOP-SECRET-CONTENT" not in text and "LOL-EXPANDED-LOL" not in text
    [finding] = [f for f in report.findings if f.rule_id == "AO202"]
    assert finding.line == 2
    assert not [f for f in report.findings if f.rule_id == "AO201"]


def test_good_tree_policies_validate() -> None:
    assert lint_state(good_tree()).findings == ()
