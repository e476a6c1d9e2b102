"""The OpenAPI document as generated clients read it: every error is problem+json (and
only that), and If-Match is required where leaving it out is answered 428."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.api.errors import problem_responses


def _errors_as_problem_json(operation: dict[str, Any]) -> None:
    declared = problem_responses(422)[422]
    for status, response in operation.get("responses", {}).items():
        if int(status) < 400:
            continue
        # problem+json only: FastAPI's HTTPValidationError, or a second application/json
        # entry from the declared model, would make a client parse the real answer wrongly.
        response["content"] = declared["content"]
        if response.get("description") == "Validation Error":
            response["description"] = declared["description"]


def _if_match_required(method: str, operation: dict[str, Any]) -> None:
    """The route answers 428 (not 422) when If-Match is missing, so FastAPI documents it
    as optional; the contract is that it is required.  A PUT that may create needs it
    only to replace (428 then), so there it stays optional, a plain string."""
    if "428" not in operation.get("responses", {}):
        return
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
            parameter["required"] = method != "put"
            schema = parameter.get("schema", {})
            options = [o for o in schema.pop("anyOf", []) if o.get("type") != "null"]
            if options:
                schema.update(options[0])
            schema.pop("default", None)


def customise_openapi(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        for operations in spec.get("paths", {}).values():
            for method, operation in operations.items():
                _errors_as_problem_json(operation)
                _if_match_required(method, operation)
        schemas = spec.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
