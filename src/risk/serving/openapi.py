"""Make the OpenAPI document BentoML generates say what the service does.

BentoML 1.4 declares no security scheme, documents its 400 answer with ``detail`` as a string
(it sends pydantic's list of errors) and knows nothing of the statuses our middleware and
endpoints answer (401, 403, 404, 409, 413, 415, 422, 429, 503) nor of ``GET /ledger/status``.
``complete_spec`` adds them; the guard serves the completed document at ``/docs.json``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from risk.serving import schemas

SCHEME = "bearerAuth"
ERRORS = {
    "401": "No or malformed API key (send 'Authorization: Bearer <key>').",
    "403": "API key not recognised.",
    "404": "Unknown customer or invoice id.",
    "409": "No ledger to score by id, the ledger source refused the rows, or no "
    "payment-timing model to forecast with.",
    "413": "Request body or row count over the limit.",
    "415": "Body is not application/json.",
    "422": "Content breaks a rule (ledger contracts, dates before an entity existed).",
    "429": "Too many concurrent requests, or too many failed key attempts from this address.",
    "503": "Not ready: no usable model, or the audit log is unavailable.",
}


def _ref(model: type[Any]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[Any]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _add_schemas(spec: dict[str, Any]) -> None:
    components = spec.setdefault("components", {})
    found = components.setdefault("schemas", {})
    for model in (
        schemas.ErrorBody,
        schemas.ValidationErrorBody,
        schemas.LedgerStatus,
    ):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            found.setdefault(name, sub)
        found[model.__name__] = schema
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "API key from `risk apikey NAME`.",
    }


def _error_responses() -> dict[str, Any]:
    out: dict[str, Any] = {
        "400": {
            "description": "The JSON does not match the request schema.",
            "content": _json(schemas.ValidationErrorBody),
        }
    }
    for status, text in ERRORS.items():
        out[status] = {"description": text, "content": _json(schemas.ErrorBody)}
    out["429"]["headers"] = {
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
    }
    out["401"]["headers"] = {
        "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
    }
    return out


def complete_spec(
    spec: dict[str, Any], protected: Iterable[str], get_routes: Iterable[str]
) -> dict[str, Any]:
    """``spec`` with the security scheme, every error status and the GET routes declared."""
    _add_schemas(spec)
    paths = spec.setdefault("paths", {})
    errors = _error_responses()
    for path in protected:
        for operation in paths.get(path, {}).values():
            if not isinstance(operation, dict):
                continue
            operation["security"] = [{SCHEME: []}]
            if "requestBody" in operation:
                _body_as_validated(operation["requestBody"])
            responses = operation.setdefault("responses", {})
            responses.pop("500", None)
            responses.update(errors)
    for path in get_routes:
        paths[path] = {
            "get": {
                "summary": "Ledger status: version, row counts, last change.",
                "operationId": path.strip("/").replace("/", "_"),
                "security": [{SCHEME: []}],
                "responses": {
                    "200": {
                        "description": "Current ledger.",
                        "content": _json(schemas.LedgerStatus),
                    },
                    **{s: errors[s] for s in ("401", "403", "429")},
                },
            }
        }
    return spec


def _body_as_validated(body: dict[str, Any]) -> None:
    """The request body as the request model validates it.

    BentoML drops ``null`` from the optional top-level fields and loses the model's own
    ``anyOf`` of required fields (schemathesis sent ``invoice_ids: null`` with a ledger, which
    the service rightly accepts, as a schema violation); a body whose fields are all optional
    may be left out (the service reads it as ``{}``)."""
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    title = str(schema.get("title", "")).removesuffix("IODescriptor")
    model = getattr(schemas, title, None)
    if model is None or not isinstance(schema.get("properties"), dict):
        body["required"] = True
        return
    own = model.model_json_schema(ref_template="#/components/schemas/{model}")["properties"]
    for name in list(schema["properties"]):
        field = model.model_fields.get(name)
        if field is not None and name in own and field.default is None:
            schema["properties"][name] = own[name]  # pydantic's: null and bounds included
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    extra = model.model_config.get("json_schema_extra")
    any_of = extra.get("anyOf") if isinstance(extra, dict) else None
    schema.pop("required", None)
    if required:
        schema["required"] = required
    if any_of:
        schema["anyOf"] = any_of
    body["required"] = bool(required or any_of)
