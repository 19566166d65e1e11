"""Replay Microsoft's ``x-ms-examples`` for Microsoft.ApiManagement through the real
azure-mgmt-apimanagement SDK against the emulator, and print how many behave as the examples say.

Usage: ``python bench/replay_examples.py <examples-folder> [--verbose]``

The examples folder is an argument on purpose: the project never reads reference material at run
time or in tests; this script is a measuring tool run by hand.

For every example file:

1. **Operation.** The file name says the verb and the entity (``ApiManagementListApiTagDescriptions``
   → GET on a collection; ``Create`` → PUT, ``Update`` → PATCH, ``Head``, ``Delete``; action words →
   POST). The SDK operation is the one whose request builder (parsed from the installed SDK) has
   that verb, exactly the example's path parameters, and whose URL segments share the most words
   with the name.
2. **Modelled?** The service-relative path must be one the emulator routes (its own route table);
   otherwise the example is counted as not modelled, not as a failure.
3. **Prerequisites.** A fresh emulator per example whose subscription, resource group and service
   name are the example's, so full ARM ids in bodies resolve. Parents on the URL, the target itself
   (for GET/HEAD/PATCH/DELETE/POST) or the listed items (for lists) are created first: from the
   entity the example's own response shows (its writable properties: the state the example starts
   from), else with the request body of a ``Create`` example for the same URL template, else a small
   generic body; references found in those bodies and in the example's body (``/loggers/x``, full
   ids, ``{{named value}}``, ``fragment-id``, ``backend-id``, authorization servers, OpenID
   providers) are created the same way. Redacted secrets (``11......a1`` instrumentation keys) are
   replaced by valid ones. Imports from internet URLs are counted as not replayable offline.
4. **Call.** The SDK method, with the example's parameters mapped to its keyword arguments; the
   request body is sent as the example's JSON bytes. The first HTTP response (for LROs: the initial
   one) is captured with a response hook.
5. **Compare.** The status must be one the example lists; the body must have the example's shape:
   every key the example shows with a non-null value is present (null ones may be left out), objects are objects, lists are
   lists, and each example list item has the shape of at least one returned item. Values are not
   compared (ids and times differ by construction).
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import ApiManagementClient

from apiops_emulator.apim import Emulator
from apiops_emulator.apim.context import ServiceInfo
from apiops_emulator.apim.errors import ArmError

_SERVICE_PREFIX = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service/{serviceName}"
_FIXED = {"subscriptionId", "resourceGroupName", "serviceName", "api-version", "parameters"}


# -- SDK introspection ----------------------------------------------------------------------------

@dataclass
class SdkOperation:
    group: str
    method: str
    verb: str
    url: str
    path: dict[str, str]        # wire name -> python name
    query: dict[str, str]
    headers: dict[str, str]
    body_param: str | None = None

    @property
    def relative(self) -> str:
        return self.url[len(_SERVICE_PREFIX):].lstrip("/") if self.url.startswith(_SERVICE_PREFIX) else ""

    @property
    def path_params(self) -> set[str]:
        return set(self.path) - {"subscriptionId", "resourceGroupName", "serviceName"}


_BUILDER = re.compile(r"^def build_(\w+)_request\(", re.MULTILINE)


def _parse_builders(module: Any) -> dict[str, dict[str, Any]]:
    source = inspect.getsource(module)
    starts = [(m.start(), m.group(1)) for m in _BUILDER.finditer(source)]
    builders: dict[str, dict[str, Any]] = {}
    for index, (start, name) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else source.find("\nclass ", start)
        text = source[start:end if end > 0 else None]
        url = re.search(r'"template_url",\s*"([^"]+)"', text)
        verb = re.search(r'HttpRequest\(method="(\w+)"', text)
        if not url or not verb:
            continue
        builders[name] = {
            "url": url.group(1), "verb": verb.group(1),
            "path": dict(re.findall(r'"(\w+)": _SERIALIZER\.url\(\s*"(\w+)"', text)),
            "query": {wire: py for wire, py in re.findall(r'_params\["([^"]+)"\] = _SERIALIZER\.query\(\s*"(\w+)"', text)
                      if wire != "api-version"},
            "headers": {wire: py for wire, py in re.findall(r'_headers\["([^"]+)"\] = _SERIALIZER\.header\(\s*"(\w+)"', text)
                        if wire not in ("Accept", "Content-Type")},
        }
    return builders


def sdk_operations(client: ApiManagementClient) -> list[SdkOperation]:
    operations = []
    for group in dir(client):
        if group.startswith("_"):
            continue
        ops = getattr(client, group, None)
        if ops is None or not type(ops).__name__.endswith("Operations"):
            continue
        builders = _parse_builders(importlib.import_module(type(ops).__module__))
        for method in dir(ops):
            if method.startswith("_"):
                continue
            builder = builders.get(method[len("begin_"):] if method.startswith("begin_") else method)
            if builder is None:
                continue
            known = set(builder["path"].values()) | set(builder["query"].values()) | set(builder["headers"].values())
            body = None
            for parameter in inspect.signature(getattr(ops, method)).parameters.values():
                if parameter.kind == parameter.POSITIONAL_OR_KEYWORD and parameter.name not in known \
                        and parameter.name not in ("self",):
                    body = parameter.name
            operations.append(SdkOperation(group, method, builder["verb"], builder["url"], builder["path"],
                                           builder["query"], builder["headers"], body))
    return operations


# -- example -> operation ---------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return [w.lower().rstrip("s") for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", text)]


_VERBS = (("Head", "HEAD"), ("Get", "GET"), ("List", "GET"), ("Create", "PUT"), ("Update", "PATCH"),
          ("Delete", "DELETE"))


def choose_operation(name: str, example: dict[str, Any], operations: list[SdkOperation]) -> SdkOperation | None:
    stem = name[len("ApiManagement"):] if name.startswith("ApiManagement") else name
    stem = stem.removesuffix(".json")
    stem = stem[len("Service"):] if stem.startswith("ServiceGet") else stem
    verb = "POST"
    for prefix, http in _VERBS:
        if stem.startswith(prefix):
            verb = http
            break
    params = {k for k in example["parameters"] if k not in _FIXED}
    name_words = set(_words(stem))
    best, best_score = None, -10**6
    for op in operations:
        if not op.relative and verb != "GET":
            continue
        unused = params - op.path_params - set(op.query) - set(op.headers)
        # quirks listed in EXAMPLES.md: If-Match sent to SDK methods that take none, and an unused
        # operationId on ListApiOperations
        unused -= {"If-Match"} if verb == "DELETE" else {"operationId"} if stem == "ListApiOperations" else set()
        if not op.path_params <= params or unused:
            continue
        entity_url = op.url.endswith("}")
        if verb in ("HEAD", "PUT", "PATCH", "DELETE") or (verb == "GET" and stem.startswith("Get")):
            if not entity_url and not op.url.endswith("/default") and op.verb != "POST":
                continue
        elif stem.startswith("List") and entity_url:
            continue
        verbs = {verb} | ({"POST"} if verb == "GET" else set())
        if op.verb not in verbs:
            continue
        segments = [s for s in op.relative.split("/") if s and not s.startswith("{")]
        url_words = [w for s in segments for w in _words(s)]
        score = len(name_words & set(url_words)) * 3 - len(set(url_words) - name_words)
        if op.verb == "POST" and verb != "POST":
            last = _words(segments[-1]) if segments else []
            score += 5 if last and set(last) <= name_words else -20
        if "workspace" in url_words and "workspace" not in name_words:
            score -= 50
        if score > best_score:
            best, best_score = op, score
    return best


# -- prerequisites ----------------------------------------------------------------------------------

_FALLBACK_BODIES: dict[str, dict[str, Any]] = {
    "apis": {"properties": {"displayName": "Replay API", "path": "replay", "protocols": ["https"],
                            "serviceUrl": "https://backend.example"}},
    "operations": {"properties": {"displayName": "Replay op", "method": "GET", "urlTemplate": "/replay"}},
    "products": {"properties": {"displayName": "Replay product"}},
    "groups": {"properties": {"displayName": "Replay group"}},
    "tags": {"properties": {"displayName": "Replay tag"}},
    "loggers": {"properties": {"loggerType": "azureMonitor"}},
    "backends": {"properties": {"url": "https://backend.example", "protocol": "http"}},
    "namedValues": {"properties": {"displayName": "replay-nv", "value": "v"}},
    "apiVersionSets": {"properties": {"displayName": "Replay set", "versioningScheme": "Segment"}},
    "policyFragments": {"properties": {"value": "<fragment></fragment>", "format": "xml"}},
    "gateways": {"properties": {"locationData": {"name": "replay"}}},
    "workspaces": {"properties": {"displayName": "Replay workspace"}},
    "users": {"properties": {"email": "replay@example.com", "firstName": "Re", "lastName": "Play"}},
    "releases": {"properties": {"notes": "replay"}},
    "authorizationServers": {"properties": {"displayName": "Replay OAuth", "clientId": "c", "grantTypes": ["authorizationCode"],
                                            "clientRegistrationEndpoint": "https://reg.example",
                                            "authorizationEndpoint": "https://auth.example"}},
    "openidConnectProviders": {"properties": {"displayName": "Replay OIDC", "clientId": "c",
                                              "metadataEndpoint": "https://idp.example/.well-known/openid-configuration"}},
    "tagDescriptions": {"properties": {"description": "replay"}},
    "diagnostics": {"properties": {"loggerId": "/loggers/replay-logger"}},
    "policies": {"properties": {"value": "<policies><inbound><base /></inbound><backend><base /></backend>"
                                         "<outbound><base /></outbound><on-error><base /></on-error></policies>",
                                "format": "xml"}},
    "schemas": {"properties": {"contentType": "application/vnd.oai.openapi.components+json",
                               "document": {"components": {"schemas": {}}}}},
    "subscriptions": {"properties": {"displayName": "Replay sub", "scope": "/apis"}},
    "apiLinks": {"properties": {"apiId": "/apis/replay-api"}},
    "groupLinks": {"properties": {"groupId": "/groups/developers"}},
    "productLinks": {"properties": {"productId": "/products/replay-product"}},
    "operationLinks": {"properties": {"operationId": "/apis/replay-api/operations/replay-op"}},
}
_REF = re.compile(r"(?:/subscriptions/[^/\"]+/resourceGroups/[^/\"]+/providers/Microsoft\.ApiManagement/service/[^/\"]+)?"
                  r"/(apis|products|groups|loggers|backends|apiVersionSets|tags|users|namedValues|policyFragments|"
                  r"gateways|workspaces)/([^/\"\s;?]+)(?:/(operations)/([^/\"\s?]+))?", re.IGNORECASE)
_WS_REF = re.compile(r"/workspaces/([^/\"]+)/(apis|products|groups|loggers|backends|apiVersionSets|tags|"
                     r"namedValues|policyFragments)/([^/\"\s?]+)")
_ASSOCIATED = {"tags": "tags", "apis": "apis", "groups": "groups", "tagDescriptions": "tags"}
_GUID_KEY = "00000000-0000-0000-0000-0000000000a1"


def unredact(body: Any) -> Any:
    """Examples redact secrets (``"instrumentationKey": "11................a1"``); the service
    would refuse those literally (so does the emulator), so a valid value stands in for them."""
    if isinstance(body, dict):
        out = {}
        for key, value in body.items():
            if key == "instrumentationKey" and isinstance(value, str) and "..." in value:
                value = _GUID_KEY
            out[key] = unredact(value)
        return out
    if isinstance(body, list):
        return [unredact(item) for item in body]
    return body


@dataclass
class Setup:
    emu: Emulator
    creates: dict[str, dict[str, Any]]       # relative template shape -> body of a Create example
    done: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    def body_for(self, relative: str) -> dict[str, Any]:
        shape = _shape(relative)
        if shape in self.creates:
            return json.loads(json.dumps(self.creates[shape]))
        collection = relative.split("/")[-2]
        body = _FALLBACK_BODIES.get(collection, {"properties": {}})
        body = json.loads(json.dumps(body))
        if collection == "apis":
            body["properties"]["path"] = f"replay-{relative.split('/')[-1]}"
        return body

    def ensure(self, relative: str, body: dict[str, Any] | None = None, depth: int = 0) -> None:
        key = relative.lower()
        if key in self.done or depth > 6:
            return
        self.done.add(key)
        parts = relative.split("/")
        for end in range(2, len(parts) - 1, 2):
            self.ensure("/".join(parts[:end]), depth=depth + 1)
        self.ensure_associated(relative, depth)
        if self.emu.apply("GET", relative).status == 200:
            return
        body = body if body is not None else self.body_for(relative)
        self.ensure_refs(body, depth + 1, own=relative)
        response = self.emu.apply("PUT", relative, body)
        if response.status >= 300:
            self.failures.append(f"setup PUT {relative} -> {response.status} {response.body[:200]!r}")

    def ensure_associated(self, relative: str, depth: int) -> None:
        """``products/p/apis/a`` needs ``apis/a``; ``apis/a/tagDescriptions/t`` needs ``tags/t``."""
        parts = relative.split("/")
        if len(parts) > 2 and len(parts) % 2 == 0 and parts[-2] in _ASSOCIATED:
            self.ensure(f"{_ASSOCIATED[parts[-2]]}/{parts[-1]}", depth=depth + 1)

    def ensure_refs(self, body: Any, depth: int, own: str = "") -> None:
        text = json.dumps(body)
        for workspace, collection, ident in _WS_REF.findall(text):
            self.ensure(f"workspaces/{workspace}/{collection}/{ident.split(';rev=')[0]}", depth=depth)
        text = _WS_REF.sub("", text)
        for match in _REF.finditer(text):
            collection, ident, sub, sub_id = match.groups()
            if collection.lower() == "apis" and ident.lower() in ("", "{apiid}"):
                continue
            path = f"{collection}/{ident.split(';rev=')[0]}"
            if own.lower() == path.lower() or own.lower().startswith(path.lower() + "/"):
                continue
            self.ensure(path, depth=depth)
            if sub:
                self.ensure(f"{path}/{sub}/{sub_id}", depth=depth)
        for ident in re.findall(r'"authorizationServerId": "([^"]+)"', text):
            self.ensure(f"authorizationServers/{ident}", depth=depth)
        for ident in re.findall(r'"openidProviderId": "([^"]+)"', text):
            self.ensure(f"openidConnectProviders/{ident}", depth=depth)
        for name in re.findall(r"\{\{\s*([^}\s]+)\s*\}\}", text):
            nv_id = re.sub(r"[^A-Za-z0-9-]", "-", name)[:80]
            if f"namedvalues/{nv_id.lower()}" not in self.done:
                self.done.add(f"namedvalues/{nv_id.lower()}")
                self.emu.apply("PUT", f"namedValues/{nv_id}", {"properties": {"displayName": name, "value": "replay"}})
        for kind, ident in re.findall(r'(fragment-id|backend-id|logger-id)=\\"([^\\"]+)\\"', text):
            collection = {"fragment-id": "policyFragments", "backend-id": "backends", "logger-id": "loggers"}[kind]
            self.ensure(f"{collection}/{ident}", depth=depth)


_READ_ONLY = ("provisioningState", "createdDateTime", "updatedDateTime", "createdDate", "registrationDate",
              "apiVersionSet", "isCurrent", "groups")


def _shown_entity(example: dict[str, Any], status: str = "200") -> dict[str, Any] | None:
    """The entity as the example's response shows it (the state the example starts from)."""
    body = (example["responses"].get(status) or {}).get("body")
    return body if isinstance(body, dict) and isinstance(body.get("properties"), dict) else None


def _as_put_body(shown: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in shown["properties"].items() if k not in _READ_ONLY and v is not None}
    return unredact({"properties": props})


def _is_view(relative: str) -> bool:
    return False


def _link_listed(setup: Setup, relative: str, listed: list[Any]) -> None:
    """Lists that are views over links need the links: ``apis/{a}/products`` (the products that
    hold the API), ``apisByTags`` (tag-to-API links); ``policyFragments/{f}/listReferences`` is
    handled by the caller (a policy that includes the fragment)."""
    parts = relative.split("/")
    if len(parts) == 3 and parts[0] == "apis" and parts[2] == "products":
        for item in listed:
            if isinstance(item, dict) and item.get("name"):
                setup.emu.apply("PUT", f"products/{item['name']}/apis/{parts[1]}")
    if relative == "apisByTags":
        for item in listed:
            tag = ((item.get("tag") or {}).get("id") or "").rsplit("/", 1)[-1]
            api = ((item.get("api") or {}).get("id") or "").rsplit("/", 1)[-1]
            if tag and api:
                setup.ensure(f"tags/{tag}")
                setup.ensure(f"apis/{api}")
                setup.emu.apply("PUT", f"tags/{tag}/apiLinks/{api}-link", {"properties": {"apiId": f"/apis/{api}"}})


def _needs_internet(body: Any) -> str | None:
    """The import URL of a ``*-link`` import that is not on a loopback host (the emulator only
    downloads from loopback; replaying it needs the internet)."""
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict) or "-link" not in str(props.get("format", "")):
        return None
    value = str(props.get("value", ""))
    host = re.sub(r"^\w+://([^/:]+).*$", r"\1", value)
    return None if host in ("127.0.0.1", "localhost", "::1") else value


def _shape(relative: str) -> str:
    parts = relative.split("/")
    return "/".join(part.lower() if index % 2 == 0 else "{}" for index, part in enumerate(parts))


def _fill(template: str, params: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(params.get(m.group(1), m.group(0))), template)


# -- comparison -------------------------------------------------------------------------------------

def shape_differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    if expected is None:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or 'body'}: expected an object, got {type(actual).__name__}"]
        diffs = []
        for key, value in expected.items():
            if value is None:
                continue
            if key not in actual:
                diffs.append(f"{where}.{key}: missing")
            else:
                diffs.extend(shape_differences(value, actual[key], f"{where}.{key}"))
        return diffs
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {type(actual).__name__}"]
        if expected and not actual:
            return [f"{where}: expected items, got an empty list"]
        diffs = []
        for index, item in enumerate(expected):
            candidates = [shape_differences(item, other, f"{where}[{index}]") for other in actual]
            best = min(candidates, key=len) if candidates else []
            diffs.extend(best)
        return diffs
    return []


# -- replay -----------------------------------------------------------------------------------------

class _Token:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("replay", int(time.time()) + 3600)


@dataclass
class Outcome:
    name: str
    status: str          # "match", "differs", "unmapped", "unmodelled", "offline"
    detail: str = ""


def replay_one(name: str, example: dict[str, Any], op: SdkOperation, creates: dict[str, dict[str, Any]]) -> Outcome:
    params = example["parameters"]
    service = ServiceInfo(subscription_id=params["subscriptionId"], resource_group=params["resourceGroupName"],
                          service_name=params["serviceName"])
    with Emulator(service=service) as emu:
        relative = _fill(op.relative, params) if op.relative else ""
        if relative:
            try:
                emu._env.locator.locate(relative)      # the emulator's own route table decides "modelled"
            except ArmError:
                return Outcome(name, "unmodelled", f"{op.verb} {op.relative}")
        setup = Setup(emu, creates)
        body = unredact(params.get("parameters"))
        url = _needs_internet(body)
        if url:
            return Outcome(name, "offline", f"imports {url}")
        if op.method == "list_references":
            fragment = params.get("id", "")
            setup.ensure(f"policyFragments/{fragment}")
            emu.apply("PUT", "policies/policy", {"properties": {"format": "xml", "value":
                      f'<policies><inbound><include-fragment fragment-id="{fragment}" /></inbound><backend><base />'
                      '</backend><outbound /><on-error /></policies>'}})
        codes = set(example["responses"])
        if relative:
            parts = relative.split("/")
            is_collection = len(parts) % 2 == 1
            if op.verb == "PUT":
                for end in range(2, len(parts), 2):
                    setup.ensure("/".join(parts[:end]))
                shown = _shown_entity(example, "201") or _shown_entity(example)
                if ";rev=" in relative and isinstance(body, dict) and shown:
                    # a new revision of an existing API: the API as the example implies it (same path)
                    base_props = {k: v for k, v in _as_put_body(shown)["properties"].items()
                                  if k in ("displayName", "path", "protocols", "serviceUrl")}
                    base_props.update({k: v for k, v in body.get("properties", {}).items() if k == "path"})
                    setup.ensure(relative.split(";rev=")[0], {"properties": base_props})
                if len(parts) > 2 and parts[-2] in _ASSOCIATED and _ASSOCIATED[parts[-2]] == parts[-2] and shown:
                    setup.ensure(f"{parts[-2]}/{parts[-1]}", _as_put_body(shown))
                setup.ensure_associated(relative, 0)
                if isinstance(body, (dict, list)):
                    setup.ensure_refs(body, 1, own=relative)
                if "201" not in codes:
                    setup.ensure(relative)
            elif is_collection and op.verb == "GET" and not _is_view(relative):
                for end in range(2, len(parts), 2):
                    setup.ensure("/".join(parts[:end]))
                listed = (example["responses"].get("200", {}).get("body") or {}).get("value") or []
                made = False
                api_products = len(parts) == 3 and parts[0] == "apis" and parts[2] == "products"
                for item in listed:
                    if api_products and isinstance(item, dict) and item.get("name"):
                        setup.ensure(f"products/{item['name']}", _as_put_body(item))
                        made = True
                    elif isinstance(item, dict) and isinstance(item.get("name"), str) and "properties" in item:
                        setup.ensure(f"{relative}/{item['name']}", _as_put_body(item))
                        made = True
                if not made:
                    setup.ensure(f"{relative}/replay-item" if parts[-1].lower() != "policies" else f"{relative}/policy")
                _link_listed(setup, relative, listed)
            elif is_collection and op.verb == "POST":
                shown = _shown_entity(example)
                setup.ensure("/".join(parts[:-1]), _as_put_body(shown) if shown and shown.get("name") else None)
            else:
                shown = _shown_entity(example)
                setup.ensure(relative, _as_put_body(shown) if shown else None)
                if isinstance(body, (dict, list)):
                    setup.ensure_refs(body, 1, own=relative)
        responses: list[tuple[int, Any]] = []

        def hook(response: Any) -> None:
            http = response.http_response
            try:
                http.read()
            except Exception:   # already read, or nothing to read
                pass
            try:
                payload = http.json() if http.text() else None
            except ValueError:
                payload = http.text()
            responses.append((http.status_code, payload))

        client = ApiManagementClient(_Token(), params["subscriptionId"], base_url=emu.url,
                                     connection_verify=emu.ca_bundle, polling_interval=0,
                                     retry_total=0)
        kwargs: dict[str, Any] = {}
        for wire, py in {**op.path, **op.query, **op.headers}.items():
            if wire in params:
                kwargs[py] = params[wire]
        kwargs.setdefault("resource_group_name", params["resourceGroupName"])
        kwargs.setdefault("service_name", params["serviceName"])
        kwargs.pop("subscription_id", None)
        if op.body_param:
            kwargs[op.body_param] = json.dumps(body).encode() if body is not None else b"{}"
        call = getattr(getattr(client, op.group), op.method)
        error = ""
        try:
            result = call(**kwargs, raw_response_hook=hook)
            if hasattr(result, "result"):
                result.result()
            elif hasattr(result, "by_page"):
                for _ in result:
                    pass
        except HttpResponseError as exc:
            error = f"{exc.status_code}: {str(exc.message)[:200]}"
        except Exception as exc:   # a client-side failure is a difference too
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
        if not responses:
            return Outcome(name, "differs", f"no response ({error}); setup: {setup.failures}")
        status, payload = responses[0]
        if str(status) not in codes:
            detail = f"status {status}, expected {sorted(codes)}"
            if isinstance(payload, dict) and "error" in payload:
                detail += f": {json.dumps(payload['error'])[:240]}"
            if setup.failures:
                detail += f"; setup: {setup.failures[:2]}"
            return Outcome(name, "differs", detail)
        expected = example["responses"][str(status)].get("body")
        if op.verb == "HEAD" or expected is None:
            return Outcome(name, "match")
        diffs = shape_differences(expected, payload)
        if diffs:
            return Outcome(name, "differs", "; ".join(diffs[:6]))
        return Outcome(name, "match")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", help="folder of x-ms-examples JSON files (api-version 2024-05-01)")
    parser.add_argument("--verbose", action="store_true", help="also list the matching examples")
    parser.add_argument("--only", help="replay only files whose name contains this text")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)
    files = sorted(f for f in os.listdir(args.examples) if f.endswith(".json"))
    examples = {}
    for file in files:
        with open(os.path.join(args.examples, file), encoding="utf-8") as handle:
            examples[file] = json.load(handle)
    probe = ApiManagementClient(_Token(), "00000000-0000-0000-0000-000000000000")
    operations = sdk_operations(probe)
    chosen = {file: choose_operation(file, example, operations) for file, example in examples.items()}
    creates: dict[str, dict[str, Any]] = {}
    for file, op in chosen.items():
        body = examples[file]["parameters"].get("parameters")
        if op is not None and op.verb == "PUT" and isinstance(body, dict) and op.relative:
            shape = _shape(_fill(op.relative, examples[file]["parameters"]))
            plain = "format" not in body.get("properties", {}) and "sourceApiId" not in body.get("properties", {})
            if shape not in creates or (plain and "format" in creates[shape].get("properties", {})):
                creates[shape] = unredact(body)
    outcomes = []
    for file in files:
        if args.only and args.only.lower() not in file.lower():
            continue
        op = chosen[file]
        if op is None:
            outcomes.append(Outcome(file, "unmapped"))
            continue
        outcomes.append(replay_one(file, examples[file], op, creates))
    replayable = [o for o in outcomes if o.status in ("match", "differs")]
    matched = [o for o in replayable if o.status == "match"]
    print(f"examples: {len(outcomes)}")
    print(f"not mapped to an SDK operation: {sum(o.status == 'unmapped' for o in outcomes)}")
    print(f"not modelled by the emulator: {sum(o.status == 'unmodelled' for o in outcomes)}")
    print(f"not replayable offline (import from an internet URL): {sum(o.status == 'offline' for o in outcomes)}")
    print(f"replayable: {len(replayable)}")
    share = 100.0 * len(matched) / len(replayable) if replayable else 0.0
    print(f"matched: {len(matched)} ({share:.1f} %)")
    print("differences:")
    for outcome in replayable:
        if outcome.status == "differs":
            print(f"  {outcome.name}: {outcome.detail}")
    for outcome in outcomes:
        if outcome.status in ("unmapped", "unmodelled", "offline"):
            print(f"  [{outcome.status}] {outcome.name} {outcome.detail}")
    if args.verbose:
        for outcome in matched:
            print(f"  [match] {outcome.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
