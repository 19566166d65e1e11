"""apiops_core.agent: escaping, secrets, neutralisation, input rules, the run wrapper."""

from __future__ import annotations

import io
import logging
import os

import pytest

from apiops_core.agent import (
    AgentStream,
    TaskContext,
    TaskFailed,
    escape_data,
    escape_property,
    format_command,
    neutralise,
    run_task,
)
from apiops_core.errors import ArtifactError

from .agent_sim import parse


def context(env: dict[str, str] | None = None) -> tuple[TaskContext, io.StringIO]:
    out = io.StringIO()
    return TaskContext(environ=env or {}, out=out), out


def commands(out: io.StringIO):
    return [c for c in map(parse, out.getvalue().splitlines()) if c]


@pytest.mark.parametrize("text", ["100%", "a;b]c", "line1\nline2\r\n", "%AZP25 literal", "%3B%0A%5D", ""])
def test_escaping_round_trips_through_the_agent_parser(text):
    line = format_command("task.logissue", text, type="error", sourcepath=text or None)
    parsed = parse(line)
    assert parsed is not None and parsed.data == text
    if text:
        assert parsed.props["sourcepath"] == text


def test_percent_is_escaped_first_as_azp25():
    assert escape_data("%0A\n") == "%AZP250A%0A"
    assert escape_property("a;b]c%") == "a%3Bb%5Dc%AZP25"


def test_empty_properties_are_dropped_and_booleans_lowercase():
    assert format_command("task.setvariable", "v", variable="x", isOutput=True, isSecret=False, other="") == (
        "##vso[task.setvariable variable=x;isOutput=true;isSecret=false;]v"
    )


def test_neutralise_breaks_every_command_prefix():
    text = "name ##vso[task.complete result=Succeeded]x ##VSO[task.setvariable variable=a]b"
    assert parse(neutralise(text)) is None
    assert "task.complete" in neutralise(text)


def test_plain_lines_from_the_instance_cannot_issue_commands():
    ctx, out = context()
    ctx.write_line("policy says ##vso[task.setvariable variable=evil]1\nsecond ##vso[task.complete result=Failed]")
    assert commands(out) == []
    assert len(out.getvalue().splitlines()) == 2


def test_secrets_are_registered_before_output_and_masked():
    env = {
        "SECRET_DB_PASSWORD": "hunter2-long",
        "ENDPOINT_AUTH_PARAMETER_ABC_SERVICEPRINCIPALKEY": "spn-key-value",
        "ENDPOINT_AUTH_PARAMETER_ABC_AUTHENTICATIONTYPE": "spnKey",
        "ENDPOINT_AUTH_ABC": '{"parameters": {"serviceprincipalkey": "spn-key-value", "tenantid": "t-1234", "authenticationType": "spnKey"}, "scheme": "ServicePrincipal"}',
        "ENDPOINT_AUTH_SCHEME_ABC": "ServicePrincipal",
        "PUBLIC_VALUE": "not-secret",
    }
    ctx, out = context(env)
    ctx.register_known_secrets()
    ctx.write_line("password hunter2-long and key spn-key-value, public not-secret")
    lines = out.getvalue().splitlines()
    registered = [c.data for c in commands(out) if c.name == "task.setsecret"]
    assert set(registered) == {"hunter2-long", "spn-key-value", "t-1234"}
    assert "ServicePrincipal" not in registered
    assert lines[-1] == "password *** and key ***, public not-secret"


def test_multiline_secret_registers_each_line_but_not_pem_armour():
    ctx, out = context()
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
    ctx.set_secret(pem)
    registered = [c.data for c in commands(out) if c.name == "task.setsecret"]
    assert pem in registered and "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" in registered
    assert not any(r.startswith("-----") and "\n" not in r for r in registered)


def test_secret_variable_is_registered_before_it_is_set():
    ctx, out = context()
    ctx.set_variable("token", "abcd-efgh", is_secret=True)
    names = [c.name for c in commands(out)]
    assert names == ["task.setsecret", "task.setvariable"]
    with pytest.raises(TaskFailed):
        ctx.set_variable("two", "a\nb", is_secret=True)


def test_input_rules():
    env = {
        "INPUT_NAME": "  value  ",
        "INPUT_FLAG": "true",
        "INPUT_OFF": "False",
        "INPUT_BAD": "maybe",
        "INPUT_COUNT": "12",
        "INPUT_DOTTED_NAME": "x",
        "INPUT_FOLDER": "/repo",
        "INPUT_FILE": "/repo/sub/file.yaml",
        "INPUT_RELATIVE": "rel/file.yaml",
        "BUILD_SOURCESDIRECTORY": "/repo/",
        "SYSTEM_DEFAULTWORKINGDIRECTORY": "/repo",
    }
    ctx, _ = context(env)
    assert ctx.get_input("name") == "value"
    assert ctx.get_input("dotted.name") == "x"
    assert ctx.get_input("absent", default="d") == "d"
    with pytest.raises(TaskFailed, match="Input required: absent"):
        ctx.get_input("absent", required=True)
    assert ctx.get_bool_input("flag") is True and ctx.get_bool_input("off") is False
    assert ctx.get_bool_input("absent", default=True) is True
    with pytest.raises(TaskFailed):
        ctx.get_bool_input("bad")
    assert ctx.get_int_input("count") == 12
    # an empty filePath arrives as the repository root: "not supplied"
    assert ctx.get_path_input("folder") is None
    with pytest.raises(TaskFailed):
        ctx.get_path_input("folder", required=True)
    assert ctx.get_path_input("file") == "/repo/sub/file.yaml"
    assert ctx.get_path_input("relative") == os.path.join("/repo", "rel/file.yaml")


def test_variables_and_endpoints_are_read_like_task_lib():
    env = {
        "BUILD_REPOSITORY_NAME": "repo",
        "SECRET_MY_KEY": "k",
        "ENDPOINT_URL_ABCD-EF": "https://management.azure.com/",
        "ENDPOINT_AUTH_PARAMETER_ABCD-EF_TENANTID": "tenant",
        "ENDPOINT_DATA_ABCD-EF_SUBSCRIPTIONID": "sub",
        "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN": "system-token",
    }
    ctx, _ = context(env)
    assert ctx.get_variable("Build.Repository.Name") == "repo"
    assert ctx.get_variable("my.key") == "k"
    assert ctx.endpoint_url("abcd-ef") == "https://management.azure.com/"
    assert ctx.endpoint_auth_parameter("abcd-ef", "tenantId") == "tenant"
    assert ctx.endpoint_data("ABCD-EF", "subscriptionId") == "sub"
    assert ctx.system_access_token() == "system-token"


def test_stream_splits_lines_and_masks():
    ctx, out = context()
    ctx.secrets.add("topsecret")
    stream = AgentStream(ctx)
    stream.write("partial ")
    assert out.getvalue() == ""
    stream.write("topsecret\n##vso[task.complete result=Succeeded]\nrest")
    stream.close_pending()
    assert out.getvalue().splitlines()[0] == "partial ***"
    assert commands(out) == []


def test_run_task_maps_apiops_error_to_issue_with_file_and_line():
    out = io.StringIO()

    def body(ctx):
        raise ArtifactError("bad policy", path="apis/echo/policy.xml", line=7)

    assert run_task(body, {}, out) == 0
    cmds = [c for c in map(parse, out.getvalue().splitlines()) if c]
    issue = next(c for c in cmds if c.name == "task.logissue")
    assert issue.props == {"type": "error", "sourcepath": "apis/echo/policy.xml", "linenumber": "7"}
    assert cmds[-1].name == "task.complete" and cmds[-1].props["result"] == "Failed"


def test_run_task_always_completes_once():
    for body, expected in ((lambda ctx: None, "Succeeded"), (lambda ctx: "SucceededWithIssues", "SucceededWithIssues"),
                           (lambda ctx: 1 / 0, "Failed")):
        out = io.StringIO()
        run_task(body, {}, out)
        completes = [c for c in map(parse, out.getvalue().splitlines()) if c and c.name == "task.complete"]
        assert [c.props["result"] for c in completes] == [expected]


def test_logging_records_become_issues_and_progress():
    out = io.StringIO()

    def body(ctx):
        log = logging.getLogger("apiops.test")
        log.warning("careful ##vso[task.complete result=Failed]")
        log.info("plain info")
        logging.getLogger("azure.core.pipeline").info("Request URL: noise")
        log.info("halfway", extra={"progress": 50})
        log.error("broken", extra={"path": "a.yaml", "line": 3})
        print("printed by an engine")
        return "SucceededWithIssues"

    run_task(body, {}, out)
    cmds = [c for c in map(parse, out.getvalue().splitlines()) if c]
    assert [(c.name, c.props.get("type") or c.props.get("value")) for c in cmds] == [
        ("task.logissue", "warning"), ("task.setprogress", "50"), ("task.logissue", "error"),
        ("task.complete", None),
    ]
    assert cmds[2].props["sourcepath"] == "a.yaml" and cmds[2].props["linenumber"] == "3"
    assert "plain info" in out.getvalue() and "printed by an engine" in out.getvalue()
    assert "noise" not in out.getvalue()
    assert logging.getLogger("apiops").handlers == [] or all(
        not getattr(h, "_apiops_cli", False) or h.__class__.__name__ != "AgentLogHandler"
        for h in logging.getLogger("apiops").handlers
    )


def test_summary_is_written_and_attached(tmp_path):
    ctx, out = context({"AGENT_TEMPDIRECTORY": str(tmp_path)})
    path = ctx.upload_summary("# Title\n##vso[task.complete]", title="My summary")
    cmd = commands(out)[0]
    assert cmd.name == "task.addattachment" and cmd.data == path
    assert cmd.props == {"type": "Distributedtask.Core.Summary", "name": "My summary"}
    assert "##vso[" not in open(path, encoding="utf-8").read()
