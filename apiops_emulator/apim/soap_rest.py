"""SOAP to REST: a WSDL imported with ``apiType: http`` (``soapApiType: http`` on the wire).

Why: the service does not keep such an API as SOAP pass-through. Microsoft's "Import SOAP API to API
Management and convert to REST" (learn.microsoft.com, api-management/restify-soap-api) and the
example ApiManagementCreateSoapToRestApiUsingWsdlImport.json describe the result: an ``http`` API
whose operations are REST resources named after the WSDL operations, taking and returning JSON, each
with a generated operation policy that builds the SOAP envelope from the JSON request (liquid
``set-body``), sets ``SOAPAction``, rewrites the URL to the SOAP endpoint and turns the SOAP response
back into JSON. Pass-through (``apiType: soap``) keeps ``POST /?soapAction=...`` operations and XML.
"""
from __future__ import annotations

import copy
from typing import Any
from xml.sax.saxutils import escape

_POLICY = """<policies>
  <inbound>
    <base />
    <rewrite-uri template="/" copy-unmatched-params="false" />
    <set-header name="SOAPAction" exists-action="override">
      <value>"{action}"</value>
    </set-header>
    <set-body template="liquid">
      <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
        <soap:Body>
          <{element} xmlns="{namespace}">{{{{body.{element}}}}}</{element}>
        </soap:Body>
      </soap:Envelope>
    </set-body>
    <set-header name="Content-Type" exists-action="override">
      <value>text/xml</value>
    </set-header>
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
    <choose>
      <when condition="@(context.Response.StatusCode &lt; 400)">
        <set-body template="liquid">{{{{body.envelope.body}}}}</set-body>
      </when>
    </choose>
    <set-header name="Content-Type" exists-action="override">
      <value>application/json</value>
    </set-header>
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"""


def _action_of(url_template: str) -> str:
    return url_template.split("soapAction=", 1)[1] if "soapAction=" in url_template else ""


def _json_reps(reps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    converted = []
    for rep in reps or []:
        rep = copy.deepcopy(rep)
        rep["contentType"] = "application/json"
        converted.append(rep)
    return converted


def convert(properties: dict[str, Any], operations: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    """(API properties, REST operations, operation name -> generated policy) for a SOAP import."""
    props = dict(properties)
    props["type"] = "http"
    rest_ops: list[dict[str, Any]] = []
    policies: dict[str, str] = {}
    for op in operations:
        src = op.get("properties", {})
        action = _action_of(str(src.get("urlTemplate", "")))
        op_name = str(src.get("displayName") or op["name"])
        new = copy.deepcopy(src)
        new["method"] = "POST"
        new["urlTemplate"] = f"/{op_name}"
        request = new.get("request") or {}
        request["representations"] = _json_reps(request.get("representations", []))
        new["request"] = request
        for response in new.get("responses") or []:
            response["representations"] = _json_reps(response.get("representations", []))
        rest_ops.append({"name": op["name"], "properties": new})
        reps = src.get("request", {}).get("representations") or [{}]
        element = reps[0].get("typeName") or op_name
        namespace = action.rsplit("/", 1)[0] if "/" in action else ""
        policies[op["name"]] = _POLICY.format(action=escape(action), element=escape(element),
                                              namespace=escape(namespace))
    return props, rest_ops, policies
