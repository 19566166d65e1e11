"""The kinds added for issue 15 in both spellings: ours (v7 style) and apiops-cli's.

apiops-cli writes policy restrictions under ``policyRestrictions/`` and a wiki as the full ARM
resource in a file named ``wiki.md`` beside ``apiInformation.json``; resolvers are spelled alike.
Our writer always produces the v7-style names; the reader accepts both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from apiops_core.artifacts import load_tree, match_path, paths_of, render_files
from apiops_core.model import Resource, ResourceKey, State
from apiops_core.treesource import DirectorySource

ARM = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/apim"


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def test_apiops_cli_spelling_is_read(make_tree: Callable[..., Path]) -> None:
    wiki = {
        "id": f"{ARM}/apis/books/wikis/default",
        "type": "Microsoft.ApiManagement/service/apis/wikis",
        "name": "default",
        "properties": {"documents": [{"documentationId": "intro", "title": None}]},
        "_markdownContent": "# intro",
    }
    tree = make_tree({
        "policyRestrictions/base/policyRestrictionInformation.json": _json(
            {"properties": {"scope": "/apis/books", "requireBase": "true"}}),
        "documentations/intro/documentationInformation.json": _json({"properties": {"title": "Intro"}}),
        "apis/books/apiInformation.json": _json({"properties": {"path": "books", "type": "graphql"}}),
        "apis/books/wiki.md": _json(wiki),
        "products/p/productInformation.json": _json({"properties": {"displayName": "P"}}),
        "products/p/wiki.md": _json({"properties": {"documents": []}}),
        "apis/books/resolvers/r1/resolverInformation.json": _json({"properties": {"path": "Query/books"}}),
        "apis/books/resolvers/r1/policy.xml": b"<http-data-source />",
    })
    state = load_tree(DirectorySource(tree))
    found = {str(r.key): r for r in state}
    assert found["policy-restriction base"].properties == {"scope": "/apis/books", "requireBase": "true"}
    assert found["api-wiki books"].body == {"properties": {"documents": [{"documentationId": "intro"}]}}
    assert found["product-wiki p"].properties == {"documents": []}
    assert found["api-resolver books/r1"].properties == {"path": "Query/books"}
    assert found["api-resolver-policy books/r1"].content == "<http-data-source />"


def test_our_spelling_is_written() -> None:
    state = State()
    for key, body in (
        (ResourceKey("policy-restriction", ("base",)), {"properties": {"requireBase": "true"}}),
        (ResourceKey("api-wiki", ("books",)), {"properties": {"documents": []}}),
        (ResourceKey("certificate", ("c",)), {"properties": {"data": "MII...", "password": "pw"}}),
        (ResourceKey("identity-provider", ("aad",)), {"properties": {"clientId": "x", "clientSecret": "s"}}),
        (ResourceKey("authorization-server", ("o",)), {"properties": {"clientId": "x", "clientSecret": "s",
                                                                      "resourceOwnerPassword": "p"}}),
    ):
        state.add(Resource(key, body))
    files = {path: json.loads(data) for path, data in render_files(state).items()}
    assert files == {
        "policy restrictions/base/policyRestrictionInformation.json": {"properties": {"requireBase": "true"}},
        "apis/books/wikiInformation.json": {"properties": {"documents": []}},
        "certificates/c/certificateInformation.json": {"properties": {}},
        "identity providers/aad/identityProviderInformation.json": {"properties": {"clientId": "x"}},
        "authorization servers/o/authorizationServerInformation.json": {"properties": {"clientId": "x"}},
    }
    assert paths_of(ResourceKey("api-resolver-policy", ("g", "r"))) == ["apis/g/resolvers/r/policy.xml"]
    match = match_path("openid connect providers/o/openidConnectProviderInformation.json")
    assert match is not None and match.kind == "openid-connect-provider"


def test_extractor_configuration_and_overrides_know_the_new_kinds() -> None:
    from apiops_core.config import ExtractorConfig, Overrides

    config = ExtractorConfig.from_text(
        "identityProviders: []\ncertificates: [kv-cert]\napis:\n  - books:\n      resolvers: [r1]\n"
    )
    assert not config.selects(ResourceKey("identity-provider", ("aad",)))
    assert config.selects(ResourceKey("certificate", ("kv-cert",)))
    assert not config.selects(ResourceKey("certificate", ("other",)))
    assert config.selects(ResourceKey("api-resolver-policy", ("books", "r1")))
    assert not config.selects(ResourceKey("api-resolver", ("books", "r2")))
    assert config.selects(ResourceKey("api-wiki", ("books",)))  # wikis follow their API
    assert config.selects(ResourceKey("policy-restriction", ("any",)))  # key missing: everything

    overrides = Overrides.from_text(
        "openidConnectProviders:\n  - name: oidc\n    properties:\n      clientSecret: \"{#S#}\"\n"
        "apis:\n  - name: books\n    resolvers:\n      - name: r1\n        properties:\n          description: d\n"
        "        policies:\n          - name: policy\n            properties:\n              value: <http-data-source />\n",
        {"S": "s3cret"},
    )
    state = State()
    state.add(Resource(ResourceKey("openid-connect-provider", ("oidc",)), {"properties": {"clientId": "c"}}))
    state.add(Resource(ResourceKey("api", ("books",)), {"properties": {"path": "books", "type": "graphql"}}))
    state.add(Resource(ResourceKey("api-resolver", ("books", "r1")), {"properties": {"path": "Query/x"}}))
    state.add(Resource(ResourceKey("api-resolver-policy", ("books", "r1")), {}, content="<old />", content_format="rawxml"))
    merged = {str(r.key): r for r in overrides.apply(state)}
    assert merged["openid-connect-provider oidc"].properties == {"clientId": "c", "clientSecret": "s3cret"}
    assert merged["api-resolver books/r1"].properties == {"path": "Query/x", "description": "d"}
    assert merged["api-resolver-policy books/r1"].content == "<http-data-source />"
    assert overrides.unmatched == []
