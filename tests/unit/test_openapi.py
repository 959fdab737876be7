"""/openapi.json is generated from the route table and covers every operation, its request and its errors."""

import re

from keras_shape_service.schemas import Health
from keras_shape_service.schemas.api import OPERATIONS


def test_openapi_lists_every_operation_with_request_answer_and_errors(client):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ("/v1/predict", "/v1/summary"):
        operation = paths[path]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].startswith("#/components")
        for code in ("200", "400", "413", "415", "422"):
            assert code in operation["responses"]
        assert "application/problem+json" in operation["responses"]["422"]["content"]
    schemas = document["components"]["schemas"]
    assert {"PredictRequest", "PredictResponse", "SummaryResponse", "Problem", "LayerRow"} <= set(schemas)
    assert "units" in schemas["DenseLayer"]["properties"]
    assert "trainable" in schemas["LayerRow"]["required"]
    assert schemas["LayerRow"]["properties"]["trainable"]["type"] == "boolean"


def test_the_documents_operations_are_exactly_the_apps_routes(app, client):
    """One route table: what the document says is what the app serves, method for method (static files, the
    page's and Swagger UI's, are no operations)."""
    document = client.get("/openapi.json").get_json()
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = {
        (re.sub(r"<(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[-1] != "static"
        for method in rule.methods - {"HEAD"}
    }
    assert documented == served
    assert len(documented) == len(OPERATIONS)


def test_health_endpoints(client):
    assert Health.model_validate_json(client.get("/healthz").data).status == "ok"
    assert client.get("/readyz").status_code == 200


def test_every_bound_in_the_document_is_a_json_schema_keyword(client):
    """pydantic writes a bound it cannot place as its own name ("gt": 0), which JSON Schema validators and
    schemathesis silently ignore: the document would then allow what the service refuses."""
    document, stack, found = client.get("/openapi.json").get_json(), [], []
    stack.append(document)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found += [key for key in ("gt", "ge", "lt", "le", "multiple_of", "min_length") if key in node]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert not found


def test_the_upload_forms_are_described(client):
    paths = client.get("/openapi.json").json["paths"]
    form = {
        path: paths[path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        for path in ("/v1/predict", "/v1/summary", "/v1/diagram", "/v1/compare")
    }
    assert form["/v1/predict"]["required"] == ["model", "inputs"]
    assert form["/v1/summary"]["required"] == form["/v1/diagram"]["required"] == ["model"]
    compare = form["/v1/compare"]
    assert compare["required"] == ["a", "b"]
    assert set(compare["properties"]) == {"a", "b", "a.inputs", "b.inputs"}
    assert "a model file" in compare["properties"]["b"]["description"]
    assert "JSON text of a /v1/summary or /v1/predict body" in compare["properties"]["b"]["description"]
