"""From request bytes to a JSON answer, with a 4xx that names the problem for every malformed request.

The body formats are MLflow's scoring protocol, parsed by MLflow's own functions
(``mlflow.pyfunc.scoring_server``): the server accepts exactly what ``mlflow models serve`` and Databricks
accept, plus the pre-MLflow-2 ``format=pandas-split`` content type that old tutorials still send. What is
added here is the checking around them: each way a request can be wrong gets its own status, error code
and a message with the model's expected schema and an example body, so a learner can fix the request
without reading the server's log, and nothing a client sends can make the server answer 500.
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.pyfunc import scoring_server
from mlflow.pyfunc.utils.serving_data_parser import is_unified_llm_input

from .models import LoadedModel

#: How deep a JSON body may nest. A scoring body needs 4 levels (body > format > rows > row > value);
#: tensors a few more. Deeper bodies are refused before any parser recurses into them.
MAX_DEPTH = 32
#: The legacy ``format=`` content-type parameter and the wrapper key it stands for.
LEGACY_FORMATS = {"pandas-split": scoring_server.DF_SPLIT, "pandas-records": scoring_server.DF_RECORDS}
FORMATS = sorted(scoring_server.SUPPORTED_FORMATS)
#: The body key (Databricks') under which a caller sends its own id for the request: logged, never scored.
CLIENT_REQUEST_ID = "client_request_id"


class RequestError(Exception):
    """A request the server refuses: HTTP status, an error code (Databricks' names) and a message."""

    def __init__(self, status: int, error_code: str, message: str, model: LoadedModel | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.model = model
        self.headers = headers or {}  # e.g. Retry-After on a 429, which Databricks' clients wait for

    def to_json(self) -> str:
        body: dict[str, Any] = {"error_code": self.error_code, "message": self.message}
        if self.model is not None:
            body["expected_schema"] = self.model.expected_schema
            body["example"] = self.model.example_body()
        return json.dumps(body, default=str)


def content_type(header: str | None) -> tuple[str, dict[str, str]]:
    """The media type and its parameters, lower-cased: ``application/json; format=pandas-split``."""
    parts = [part.strip() for part in (header or "").split(";")]
    params = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return parts[0].lower(), params


def _too_deep(text: str, payload: Any) -> bool:
    """Whether ``payload`` nests deeper than MAX_DEPTH (cheap: the text's bracket count usually settles it)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def decode_body(body: bytes, header: str | None) -> dict[str, Any] | str:
    """The request as a JSON object (wrapped in its format key for legacy bodies), or CSV text."""
    mime, params = content_type(header)
    if mime not in (scoring_server.CONTENT_TYPE_JSON, scoring_server.CONTENT_TYPE_CSV):
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE",
                           f"Content-Type {header!r} is not accepted: send JSON with 'Content-Type: application/json' "
                           f"and a body with one of the keys {FORMATS} (or CSV with 'Content-Type: text/csv').")
    if params.get("charset", "utf-8") not in ("utf-8", "utf8"):
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE", f"charset={params['charset']} is not accepted: send UTF-8.")
    legacy = params.get("format")
    if legacy is not None and legacy not in LEGACY_FORMATS:
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE",
                           f"Content-Type parameter format={legacy} is unknown. The legacy formats are "
                           f"{sorted(LEGACY_FORMATS)}; today's requests send plain application/json with the format "
                           f"as the body's key, e.g. {{\"dataframe_split\": {{\"columns\": [...], \"data\": [...]}}}}.")
    if not body.strip():
        raise RequestError(400, "BAD_REQUEST", "The request body is empty: send a JSON object such as "
                           "{\"dataframe_split\": {\"columns\": [...], \"data\": [[...]]}}.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(400, "BAD_REQUEST", f"The body is not UTF-8 text ({error.reason} at byte {error.start}).")
    if mime == scoring_server.CONTENT_TYPE_CSV:
        return text
    too_deep = RequestError(400, "BAD_REQUEST", f"The JSON body nests deeper than {MAX_DEPTH} levels; a scoring "
                            "request needs about 4 (body > format key > rows > values).")
    try:
        payload = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except ValueError as error:
        raise RequestError(400, "MALFORMED_REQUEST", f"The body is not valid JSON: {error}. Check quotes, commas and "
                           "brackets (json.dumps in Python writes valid JSON).") from None
    if isinstance(payload, (dict, list)) and _too_deep(text, payload):
        raise too_deep
    if legacy is not None:
        if not isinstance(payload, (dict, list)):
            raise RequestError(400, "BAD_REQUEST", f"A format={legacy} body is a pandas "
                               f"{'split' if legacy == 'pandas-split' else 'records'} JSON (DataFrame.to_json(orient="
                               f"{legacy[7:]!r})), not a {type(payload).__name__}.")
        payload = {LEGACY_FORMATS[legacy]: payload}
    if not isinstance(payload, dict):
        hint = " Wrap a list of rows as {\"dataframe_records\": [...]}." if isinstance(payload, list) else ""
        raise RequestError(400, "BAD_REQUEST", f"The body is a JSON {type(payload).__name__}; it must be an object "
                           f"with one of the keys {FORMATS}.{hint}")
    return payload


def take_client_request_id(payload: dict[str, Any] | str, header: str | None) -> str | None:
    """Take the caller's own id for a request out of the body (Databricks' place for it), else the header's.

    ``{"client_request_id": "booking-42", "dataframe_split": ...}`` is logged under that id in the inference
    log, so labels that arrive later can be joined to the request; the model never sees it. The
    ``client-request-id`` header does the same for a body that is not JSON (CSV).
    """
    if not isinstance(payload, dict) or CLIENT_REQUEST_ID not in payload:
        return header
    value = payload.pop(CLIENT_REQUEST_ID)
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise RequestError(400, "BAD_REQUEST", f"\"{CLIENT_REQUEST_ID}\" must be a non-empty string of at most 256 "
                           f"characters, such as \"booking-42\", not {str(value)[:40]!r}.")
    return value


def model_input(payload: dict[str, Any] | str, model: LoadedModel) -> tuple[Any, dict[str, Any] | None]:
    """The data and params to pass to ``model.predict``, parsed by MLflow against the model's signature."""
    if isinstance(payload, str):
        try:
            return scoring_server.parse_csv_input(StringIO(payload), schema=model.input_schema), None
        except MlflowException as error:
            raise RequestError(400, "BAD_REQUEST", _first_line(error.message), model) from None
    if not is_unified_llm_input(payload):
        formats = [key for key in payload if key in scoring_server.SUPPORTED_FORMATS]
        if len(formats) != 1:
            found = f"the keys {sorted(payload)}" if payload else "no keys"
            raise RequestError(400, "BAD_REQUEST", f"The body has {found}; it needs exactly one of {FORMATS} "
                               "(plus optional \"params\"). See `example` for a body this model accepts.", model)
        unknown = sorted(set(payload) - {formats[0], scoring_server.SERVING_PARAMS_KEY})
        if unknown:
            raise RequestError(400, "BAD_REQUEST", f"Unknown keys {unknown} beside {formats[0]!r}: only \"params\" "
                               "may go with the data.", model)
        if payload[formats[0]] in (None, [], {}, ""):
            raise RequestError(400, "BAD_REQUEST", f"{formats[0]!r} holds no data: send at least one row.", model)
        params = payload.get(scoring_server.SERVING_PARAMS_KEY)
        if params is not None and not isinstance(params, dict):
            raise RequestError(400, "BAD_REQUEST", f"\"params\" must be an object, not {type(params).__name__}.", model)
    try:
        parsed = scoring_server._parse_json_data(dict(payload), model.model.metadata, model.input_schema)
    except MlflowException as error:
        raise RequestError(400, "BAD_REQUEST", _first_line(error.message), model) from None
    except Exception as error:  # pandas/numpy reject shapes in many ways; all are the request's fault
        raise RequestError(400, "BAD_REQUEST", f"The data cannot be read as the model's input: "
                           f"{type(error).__name__}: {error}", model) from None
    data = parsed.data
    if hasattr(data, "__len__") and len(data) == 0:
        raise RequestError(400, "BAD_REQUEST", "The request holds no rows: send at least one.", model)
    _check_columns(data, model)
    return data, parsed.params


def _check_columns(data: Any, model: LoadedModel) -> None:
    """Name missing columns up front (MLflow's own message buries them in a long text)."""
    schema = model.input_schema
    if schema is None or not schema.has_input_names() or not hasattr(data, "columns"):
        return
    required = [spec["name"] for spec in schema.to_dict() if spec.get("required", True)]
    missing = [name for name in required if name not in data.columns]
    if missing:
        raise RequestError(400, "BAD_REQUEST", f"Missing column(s) {missing}; the model needs {required}, "
                           f"the request has {list(data.columns)}.", model)


def predict(model: LoadedModel, data: Any, params: dict[str, Any] | None) -> Any:
    """``model.predict``; schema and value errors become a 400 naming the problem."""
    try:
        return model.predict(data, params)
    except MlflowException as error:
        status = error.get_http_status_code()
        message = f"The input does not match the model's signature: {_first_line(error.message)}"
        raise RequestError(status if 400 <= status < 500 else 400, "BAD_REQUEST", message, model) from None
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise RequestError(400, "BAD_REQUEST", f"The model could not score this input: {type(error).__name__}: "
                           f"{error}", model) from None


def predictions_json(raw: Any, served_model_name: str) -> str:
    """MLflow's own response shape, ``{"predictions": ...}``, plus which served model answered."""
    out = StringIO()
    scoring_server.predictions_to_json(raw, out, metadata={"served_model_name": served_model_name})
    return out.getvalue()


def _first_line(message: str, limit: int = 600) -> str:
    """MLflow messages can carry the whole input and a migration notice; keep the part that explains."""
    text = message.split(scoring_server.SCORING_PROTOCOL_CHANGE_INFO)[0].strip()
    return text if len(text) <= limit else text[:limit] + " ..."
