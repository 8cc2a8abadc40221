"""Reading the practice exam's written answers as what they are: code, URIs, JSON, numbers, times.

Each reader takes what a learner typed (a string, or a Python value such as a dict or a number) and returns
what it means, or raises :class:`AnswerError` with a sentence that says what could not be read and why. The
readers are forgiving about form (surrounding quotes and backticks, spaces, a trailing ``# comment``, a
statement around the expression asked for) and as strict as the API they stand for about content: a model
name is case-sensitive, ``trigger(realTime=5)`` is refused by PySpark, ``"5 s"`` is not an interval Spark
parses.

Standard library only: the grader loads this file afresh (``runpy``) in each hidden test cell, without the
``mldeploy`` package the learner's kernel has imported (and might have changed).
"""

from __future__ import annotations

import ast
import json
import math
import re
import shlex
from urllib.parse import urlsplit

__all__ = [
    "AnswerError",
    "choice_letter",
    "clock_minutes",
    "import_alias",
    "json_value",
    "keyword_name",
    "mlflow_run",
    "model_uri",
    "number",
    "output_mode",
    "python_call",
    "scoring_body",
    "serving_path",
    "spark_interval_seconds",
    "spark_udf_call",
    "traffic_routes",
    "trigger",
]

LETTERS = ("a", "b", "c", "d", "e")


class AnswerError(ValueError):
    """An answer that cannot be read as what the question asks for; the message says why."""


# ---- plain text -------------------------------------------------------------------------------------


def _text(value) -> str:
    """The answer as an exact ``str``, without surrounding blanks, backticks or one pair of quotes."""
    if value is None or isinstance(value, bool):
        raise AnswerError("no answer")
    text = str(value).strip()
    for _ in range(2):
        text = text.strip("`").strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1].strip()
    if not text:
        raise AnswerError("an empty answer")
    return text


def _without_comment(text: str) -> str:
    """``text`` without a trailing ``# comment`` (a ``#`` inside quotes is kept)."""
    quote = None
    for position, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return text[:position].rstrip()
    return text


def choice_letter(value) -> str | None:
    """``"b"``, ``"B"``, ``"(b)"``, ``" b) "``, ``"(b) the option's text"`` -> ``"b"``; anything else -> None."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().lower()
    found = re.fullmatch(r"\(?\s*([a-e])\s*\)?\s*[.:]?", text) or re.match(r"\(\s*([a-e])\s*\)|([a-e])[).:]\s", text)
    if not found or len(set(re.findall(r"\(\s*([a-e])\s*\)", text))) > 1:
        return None                                 # nothing like a letter, or two of them: "(b) or (c)"
    return next(group for group in found.groups() if group)


# ---- numbers and times ----------------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


def _arithmetic(node):
    if isinstance(node, ast.Expression):
        return _arithmetic(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        inner = _arithmetic(node.operand)
        return inner if isinstance(node.op, ast.UAdd) else -inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    raise ValueError("not arithmetic")


def number(value) -> float:
    """A number from ``19``, ``13.9``, ``"2 files"``, ``"f3 and f4: 2"``, ``"50000/3600 = 13.9"``, ``"50,000 / 3,600"``.

    A calculation counts by its result: the part after the last ``=``, else the whole answer when it is
    arithmetic. A number after a colon at the end is the answer to a labelled list (``"f3 and f4: 2"``).
    Otherwise the first number that stands on its own counts (digits glued to letters, like the ``3`` of ``f3``
    or the ``99`` of ``p99``, are names, not numbers).
    """
    if isinstance(value, bool) or value is None:
        raise AnswerError("no number")
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)):
            raise AnswerError("not a finite number")
        return float(value)
    text = _text(value).replace("\u2248", "=").replace("~", " ")
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)          # thousands separators: 50,000 -> 50000
    text = re.sub(r"(?<=\d)_(?=\d)", "", text)                   # 50_000
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)                  # a decimal comma: 13,9
    if "=" in text:
        text = text.rsplit("=", 1)[1]
    labelled = re.search(rf":\s+({_NUMBER})\s*[A-Za-z%/ .]*$", text)   # "f3 and f4: 2", "hours 10, 11, 12: 3"
    if labelled:
        return float(labelled.group(1))
    text = text.replace("\u00d7", "*").replace("\u2212", "-").strip()
    try:
        return _arithmetic(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError):
        pass
    standalone = re.findall(rf"(?<![\w.]){_NUMBER}(?![\w.])|(?<![\w.]){_NUMBER}(?=\s*[a-zA-Z%])", text)
    standalone = [token for token in standalone if token not in ("+", "-")]
    if not standalone:
        raise AnswerError(f"no number in {text!r}")
    return float(standalone[0])


def clock_minutes(value) -> int:
    """Minutes after midnight of a clock time: ``"10:27"``, ``"10:27:00"``, ``"10h27"``, ``"10.27"``, ``"10:27 AM"``,
    ``"2025-03-02 10:27"``; ``"10:27 PM"`` is 22:27."""
    text = _without_comment(_text(value)).lower()
    text = re.sub(r"\b([ap])\.?\s*m\b\.?", r"\1m", text)
    text = re.sub(r"(?<=\d)\.(?=\d{2}(?!\d))", ":", text)
    found = re.search(r"(?<!\d)(\d{1,2})\s*[:h]\s*(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*(am|pm)?(?![\d])", text)
    if not found:
        raise AnswerError(f"no time of day (HH:MM) in {text!r}")
    hours, minutes, meridiem = int(found.group(1)), int(found.group(2)), found.group(4)
    if meridiem:
        if not 1 <= hours <= 12:
            raise AnswerError(f"{hours} is not an hour on a 12-hour clock")
        hours = hours % 12 + (12 if meridiem == "pm" else 0)
    if hours > 23 or minutes > 59:
        raise AnswerError(f"{found.group(0)!r} is not a time of day")
    return 60 * hours + minutes


# ---- Python code ------------------------------------------------------------------------------------


def _python(value) -> ast.AST:
    """The answer parsed as Python: an expression, or a few statements (a trailing comment is fine)."""
    text = _text(value)
    if text.startswith("."):
        text = "_" + text                       # ".trigger(...)" is a method call on something unnamed
    for candidate in (text, text.replace("\n.", ".")):
        try:
            return ast.parse(candidate, mode="exec")
        except SyntaxError:
            continue
    raise AnswerError(f"{text!r} is not valid Python")


def _literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _Code(ast.unparse(node))


class _Code(str):
    """A piece of an answer that is code, not a literal (a variable name, a call)."""


def python_call(value, name: str, *, wrap: bool = False) -> tuple[str, list, dict]:
    """The outermost call whose function is ``name`` or ends in ``.name``: (function as written, args, kwargs).

    The outermost is the one applied last in a chain (``.trigger(once=True).trigger(availableNow=True)``
    sets availableNow). With ``wrap``, an answer that is only the arguments (``availableNow=True``) is read
    as ``name(availableNow=True)``.
    """
    sources = [value]
    if wrap and re.match(r"\s*[A-Za-z_]\w*\s*=[^=]", _text(value)):
        sources.append(f"{name}({_text(value)})")   # only keyword arguments were written: availableNow=True
    problem = None
    for source in sources:
        try:
            tree = _python(source)
        except AnswerError as error:
            problem = problem or error
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                function = ast.unparse(node.func)
                if function == name or function.endswith("." + name):
                    hidden = any(isinstance(arg, ast.Starred) for arg in node.args) or any(
                        kw.arg is None for kw in node.keywords)
                    if hidden:
                        raise AnswerError("`*args`/`**kwargs` hide the arguments: write them out")
                    keywords = {kw.arg: _literal(kw.value) for kw in node.keywords}
                    return function, [_literal(arg) for arg in node.args], keywords
    raise problem or AnswerError(f"no call to `{name}(...)` in the answer")


_TRIGGER_KEYWORDS = ("processingTime", "once", "continuous", "availableNow", "realTime")


def trigger(value) -> tuple[str, object]:
    """The one trigger a ``DataStreamWriter.trigger(...)`` call sets, checked as PySpark 4.2 checks it.

    Returns (keyword, value): ``("availableNow", True)``, ``("realTime", 5.0)`` (seconds),
    ``("processingTime", 60.0)``, ``("once", True)``, ``("continuous", 1.0)``. PySpark takes keywords only,
    exactly one trigger, ``True`` (not 1 or "true") for once/availableNow, and a non-empty string for the
    others, which the JVM parses as an interval (``"5 seconds"``, not ``5`` or ``"5 s"``).
    """
    _, args, kwargs = python_call(value, "trigger", wrap=True)
    if args:
        raise AnswerError("`trigger` takes keyword arguments only (`trigger(availableNow=True)`); "
                          "a positional argument is a TypeError")
    unknown = sorted(set(kwargs) - set(_TRIGGER_KEYWORDS))
    if unknown:
        raise AnswerError(f"`trigger` has no argument {unknown[0]!r} (it takes {', '.join(_TRIGGER_KEYWORDS)}; "
                          "the names are case-sensitive)")
    given = {key: setting for key, setting in kwargs.items() if setting is not None}
    if len(given) != 1:
        raise AnswerError("PySpark allows exactly one trigger per query (ONLY_ALLOW_SINGLE_TRIGGER)")
    (keyword, setting), = given.items()
    if keyword in ("once", "availableNow"):
        if setting is not True:
            raise AnswerError(f"`{keyword}` must be the literal True; {setting!r} is refused (VALUE_NOT_TRUE)")
        return keyword, True
    if not isinstance(setting, str) or isinstance(setting, _Code) or not setting.strip():
        raise AnswerError(f"`{keyword}` takes a non-empty string such as \"5 seconds\"; {setting!r} is refused "
                          "(VALUE_NOT_NON_EMPTY_STR)")
    return keyword, spark_interval_seconds(setting)


_INTERVAL_UNITS = {
    "microsecond": 1e-6, "millisecond": 1e-3, "second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0,
    "week": 604800.0,
}


def spark_interval_seconds(text) -> float:
    """Seconds in an interval string as Spark's trigger parses it: ``"5 seconds"``, ``"5000 milliseconds"``,
    ``"interval 1 minute"``, ``"5 seconds 10 milliseconds"``. Units are spelled out (``"5 s"``, ``"5 sec"`` and
    ``"5000 ms"`` fail in Spark), any case, singular or plural; only seconds take a fraction (``"5.5 seconds"``).
    """
    words = str(text).strip().lower().split()
    if words and words[0] == "interval":
        words = words[1:]
    if not words or len(words) % 2:
        raise AnswerError(f"{text!r} is not an interval Spark parses (write a number and a unit: \"5 seconds\")")
    total = 0.0
    for amount, written in zip(words[::2], words[1::2]):
        unit = written[:-1] if written.endswith("s") else written
        if unit not in _INTERVAL_UNITS:
            raise AnswerError(f"{written!r} is not a unit Spark parses in an interval (spell it out: seconds, "
                              "milliseconds, minutes...)")
        if not re.fullmatch(r"\d+(\.\d+)?" if unit == "second" else r"\d+", amount):
            raise AnswerError(f"{amount!r} {unit}s: Spark takes whole numbers here (a fraction only for seconds)")
        total += float(amount) * _INTERVAL_UNITS[unit]
    if total <= 0:
        raise AnswerError("a trigger interval must be positive")
    return total


def import_alias(value) -> tuple[str, str]:
    """``import pyspark.pandas as ps`` or ``from pyspark import pandas as ps`` -> (``"pyspark.pandas"``, ``"ps"``)."""
    tree = _python(value)
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    if len(imports) != 1 or len(tree.body) != 1 or len(imports[0].names) != 1:
        raise AnswerError("write one import statement that imports one module")
    node, alias = imports[0], imports[0].names[0]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            raise AnswerError("a relative import names no package")
        return f"{node.module}.{alias.name}", alias.asname or alias.name
    return alias.name, alias.asname or alias.name


def keyword_name(value) -> str:
    """A keyword argument's name: ``name``, ``name=``, ``name="model"``, ``log_model(model, name="model")``."""
    text = _without_comment(_text(value))
    bare = re.fullmatch(r"`?([A-Za-z_]\w*)`?\s*(=.*)?", text, re.DOTALL)
    if bare:
        return bare.group(1)
    for node in ast.walk(_python(text)):
        if isinstance(node, ast.Call) and node.keywords:
            named = [kw.arg for kw in node.keywords if kw.arg and kw.arg != "registered_model_name"]
            if len(named) == 1:
                return named[0]
    raise AnswerError(f"{text!r} does not name one keyword argument (write its name alone)")


def output_mode(value) -> str:
    """``complete``, ``"Complete"``, ``outputMode("complete")`` -> ``"complete"`` (Spark reads the mode in any case)."""
    text = _without_comment(_text(value))
    if "(" in text:
        _, args, kwargs = python_call(text, "outputMode")
        given = args[:1] or list(kwargs.values())[:1]
        if not given or not isinstance(given[0], str) or isinstance(given[0], _Code):
            raise AnswerError("`outputMode` takes the mode as a string")
        text = given[0]
    found = re.fullmatch(r"(?:the\s+)?([A-Za-z]+)(?:\s+(?:output\s+)?mode)?", text.strip(), re.IGNORECASE)
    if not found:
        raise AnswerError(f"{text!r} is not one output mode (one word)")
    return found.group(1).lower()


# ---- MLflow -----------------------------------------------------------------------------------------


def model_uri(value) -> dict:
    """A ``models:/`` URI as MLflow 3.17 reads it (``_parse_model_uri``): name plus version, stage, alias or latest.

    The scheme is read in any case (``urlparse`` lowers it), and a stage name too (the registry maps
    ``staging`` to ``Staging``); the model name and the alias are compared as written, as the registry does.
    The answer may be the URI alone or a call that takes it (``load_model("models:/...")``).
    """
    text = _without_comment(_text(value))
    if "(" in text:
        strings = [node.value for node in ast.walk(_python(text))
                   if isinstance(node, ast.Constant) and isinstance(node.value, str)]
        uris = [string for string in strings if ":/" in string]
        if len(uris) != 1:
            raise AnswerError("write the model URI (or one call with one URI in it)")
        text = uris[0].strip()
    if re.search(r"\s", text):
        raise AnswerError(f"{text!r} has a space in it: MLflow would read it as part of the name")
    parts = urlsplit(text, allow_fragments=False)
    if parts.scheme != "models":
        raise AnswerError(f"{text!r} is not a registry URI: those start with `models:/`"
                          + (" (`runs:/` addresses a run's artifacts)" if parts.scheme == "runs" else ""))
    path = parts.path
    if parts.netloc or not path.startswith("/") or len(path) <= 1:
        raise AnswerError(f"{text!r}: a registry URI is `models:/<name>/<version or stage>` or "
                          "`models:/<name>@<alias>`")
    pieces = path.lstrip("/").split("/")
    if len(pieces) > 2 or not pieces[0].strip():
        raise AnswerError(f"{text!r} has too many parts for a `models:/` URI")
    if len(pieces) == 2:
        name, suffix = pieces
        if not suffix:
            raise AnswerError(f"{text!r} ends with a slash: name a version or a stage after it")
        if "@" in name:
            raise AnswerError(f"{text!r} mixes an alias (`@`) with a version or stage (`/`)")
        if suffix.isdigit():
            return {"name": name, "version": int(suffix)}
        if suffix.lower() == "latest":
            return {"name": name, "latest": True}
        return {"name": name, "stage": suffix}
    if "@" in pieces[0]:
        name, alias = pieces[0].rsplit("@", 1)
        if not alias:
            raise AnswerError(f"{text!r} has an `@` but no alias after it")
        return {"name": name, "alias": alias}
    return {"model_id": pieces[0]}


def spark_udf_call(value) -> dict:
    """``mlflow.pyfunc.spark_udf(spark, "models:/...", ...)`` -> {"function", "spark", "model", "options"}
    (``model`` as :func:`model_uri` reads it)."""
    function, args, kwargs = python_call(value, "spark_udf")
    if function not in ("spark_udf", "pyfunc.spark_udf", "mlflow.pyfunc.spark_udf"):
        raise AnswerError(f"`{function}` is not MLflow's `mlflow.pyfunc.spark_udf`")
    names = ["spark", "model_uri", "result_type", "env_manager", "params", "extra_env", "prebuilt_env_uri",
             "model_config"]                       # mlflow.pyfunc.spark_udf's signature in MLflow 3.17
    if len(args) > len(names):
        raise AnswerError("too many positional arguments for spark_udf")
    bound = dict(zip(names, args))
    for key in kwargs:
        if key in bound:
            raise AnswerError(f"`{key}` is given twice (TypeError)")
        if key not in names:
            raise AnswerError(f"`spark_udf` has no argument `{key}`")
    bound.update(kwargs)
    if "spark" not in bound or "model_uri" not in bound:
        raise AnswerError("`spark_udf` needs the session and the model URI: `spark_udf(spark, model_uri)`")
    uri = bound["model_uri"]
    if not isinstance(uri, str) or isinstance(uri, _Code):
        raise AnswerError("write the model URI as a string")
    return {"function": function, "spark": str(bound["spark"]), "model": model_uri(uri),
            "options": {key: setting for key, setting in bound.items() if key not in ("spark", "model_uri")}}


#: ``mlflow run``'s options in MLflow 3.17 (``mlflow run --help``): name -> (canonical name, takes a value).
_RUN_OPTIONS = {
    "-e": ("entry_point", True), "--entry-point": ("entry_point", True),
    "-v": ("version", True), "--version": ("version", True),
    "-P": ("param", True), "--param-list": ("param", True),
    "-A": ("docker_arg", True), "--docker-args": ("docker_arg", True),
    "--experiment-name": ("experiment_name", True), "--experiment-id": ("experiment_id", True),
    "-b": ("backend", True), "--backend": ("backend", True),
    "-c": ("backend_config", True), "--backend-config": ("backend_config", True),
    "--env-manager": ("env_manager", True), "--storage-dir": ("storage_dir", True),
    "--run-id": ("run_id", True), "--run-name": ("run_name", True), "--build-image": ("build_image", False),
}
ENV_MANAGERS = ("local", "virtualenv", "uv", "conda")


def mlflow_run(value) -> dict:
    """An ``mlflow run`` command line, read the way its CLI (click) reads it.

    Returns {"uri", "entry_point", "params" (name -> text), "env_manager", "options"}. Accepts a leading
    ``$ ``, a trailing ``# comment``, ``--opt value`` and ``--opt=value``, ``-P a=1`` and ``-Pa=1``, and the
    project as ``.``, ``./``, ``$PWD``, ``$(pwd)`` or a path; refuses options ``mlflow run`` does not have
    (``--no-conda`` is gone since MLflow 2) and env managers other than local, virtualenv, uv and conda.
    """
    text = _text(value).replace("\\\n", " ").lstrip("$ ").strip()
    try:
        words = shlex.split(text, comments=True)
    except ValueError as error:
        raise AnswerError(f"the command does not parse as a shell line ({error})") from None
    if words[:2] != ["mlflow", "run"]:
        raise AnswerError("start with `mlflow run`")
    uri, options, position = None, {"params": {}, "other": {}}, 2
    while position < len(words):
        word = words[position]
        if word.startswith("-") and len(word) > 1:
            name, equals, given = word.partition("=") if word.startswith("--") else (word[:2], "", word[2:])
            if name not in _RUN_OPTIONS:
                raise AnswerError(f"`mlflow run` has no option `{name}`"
                                  + (" (it was removed in MLflow 2: use `--env-manager local`)"
                                     if name == "--no-conda" else ""))
            canonical, takes_value = _RUN_OPTIONS[name]
            if takes_value and not given:
                if position + 1 >= len(words):
                    raise AnswerError(f"`{name}` needs a value")
                position += 1
                given = words[position]
            if canonical == "param":
                key, equal_sign, setting = given.partition("=")
                if not equal_sign or not key:
                    raise AnswerError(f"`-P {given}`: a parameter is written NAME=VALUE")
                options["params"][key] = setting
            else:
                options["other"][canonical] = given if takes_value else True
        else:
            if uri is not None:
                raise AnswerError(f"`mlflow run` takes one project URI; `{word}` is an extra argument")
            uri = word
        position += 1
    if uri is None:
        raise AnswerError("name the project to run (`.` for the current folder)")
    env_manager = options["other"].pop("env_manager", None)
    if env_manager is not None and env_manager not in ENV_MANAGERS:
        raise AnswerError(f"`--env-manager {env_manager}`: the choices are {', '.join(ENV_MANAGERS)}")
    return {"uri": uri, "entry_point": options["other"].pop("entry_point", "main"), "params": options["params"],
            "env_manager": env_manager, "options": options["other"]}


def is_current_folder(uri: str) -> bool:
    """Whether a project URI names the folder the command runs in (an absolute path might; accepted)."""
    return uri in (".", "./", "$PWD", "${PWD}", "$(pwd)", "`pwd`") or uri.startswith("/") or uri.startswith("~")


# ---- JSON bodies --------------------------------------------------------------------------------------


def json_value(value):
    """A JSON document given as a string (JSON, or a Python literal), or as a Python dict/list."""
    if isinstance(value, (dict, list)):
        try:
            return json.loads(json.dumps(value))
        except (TypeError, ValueError) as error:
            raise AnswerError(f"not JSON-serialisable ({error})") from None
    text = _text(value)
    for attempt in (text, _without_comment(text)):
        try:
            return json.loads(attempt)
        except ValueError:
            pass
        try:
            return json.loads(json.dumps(ast.literal_eval(attempt)))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
    raise AnswerError("not valid JSON (check quotes, brackets and commas)")


SCORING_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def scoring_body(value) -> dict:
    """A request body of MLflow's scoring protocol -> {"format", "rows" (list of dicts) or "tensor", "params"}.

    Exactly one of ``dataframe_split``, ``dataframe_records``, ``instances``, ``inputs``, plus an optional
    ``params`` object (and ``client_request_id`` as Databricks takes it); anything else is refused.
    """
    body = json_value(value)
    if not isinstance(body, dict):
        raise AnswerError("a scoring request body is a JSON object")
    formats = [key for key in body if key in SCORING_KEYS]
    extra = [key for key in body if key not in SCORING_KEYS and key not in ("params", "client_request_id")]
    if len(formats) != 1:
        raise AnswerError(f"the body needs exactly one of {', '.join(SCORING_KEYS)} (found {formats or 'none'})")
    if extra:
        raise AnswerError(f"unexpected top-level key(s) {extra}: only the input key, `params` and "
                          "`client_request_id` are allowed")
    if "params" in body and not isinstance(body["params"], dict):
        raise AnswerError("`params` is an object of name: value")
    kind, payload = formats[0], body[formats[0]]
    result = {"format": kind, "params": body.get("params", {})}
    if kind == "dataframe_split":
        if not isinstance(payload, dict) or set(payload) - {"columns", "data", "index"} or "data" not in payload:
            raise AnswerError("`dataframe_split` holds `columns` and `data` (and optionally `index`)")
        columns, data = payload.get("columns"), payload["data"]
        if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
            raise AnswerError("`data` is a list of rows, each a list of values (even for one row)")
        if columns is None or not isinstance(columns, list) or any(len(row) != len(columns) for row in data):
            raise AnswerError("each row of `data` has one value per name in `columns`")
        if "index" in payload and (not isinstance(payload["index"], list) or len(payload["index"]) != len(data)):
            raise AnswerError("`index` has one entry per row")
        result["rows"] = [dict(zip(columns, row)) for row in data]
    elif kind == "dataframe_records":
        if not isinstance(payload, list) or not all(isinstance(row, dict) for row in payload):
            raise AnswerError("`dataframe_records` is a list of objects, one per row")
        result["rows"] = payload
    else:
        result["tensor"] = payload
        if isinstance(payload, list) and payload and all(isinstance(row, dict) for row in payload):
            result["rows"] = payload
    return result


def same_values(given, expected) -> bool:
    """JSON values compared as a model would see them: numbers by value (733 == 733.0), no text for a number."""
    if isinstance(expected, bool) or isinstance(given, bool):
        return type(given) is type(expected) and given == expected
    if isinstance(expected, (int, float)):
        return isinstance(given, (int, float)) and float(given) == float(expected)
    if isinstance(expected, dict):
        return isinstance(given, dict) and set(given) == set(expected) and all(
            same_values(given[key], expected[key]) for key in expected)
    if isinstance(expected, list):
        return isinstance(given, list) and len(given) == len(expected) and all(
            same_values(a, b) for a, b in zip(given, expected))
    return given == expected and type(given) is type(expected)


def traffic_routes(value) -> dict[str, int]:
    """A Databricks ``traffic_config`` (or the whole endpoint config holding one) -> served name: percentage.

    Each route names a served entity (``served_model_name``, or ``served_entity_name``) and an integer
    ``traffic_percentage`` from 0 to 100; the percentages add up to 100.
    """
    body = json_value(value)
    if isinstance(body, dict) and "config" in body and isinstance(body["config"], dict):
        body = body["config"]
    if isinstance(body, dict) and "traffic_config" in body:
        body = body["traffic_config"]
    routes = body.get("routes") if isinstance(body, dict) else body
    if not isinstance(routes, list) or not routes or not all(isinstance(route, dict) for route in routes):
        raise AnswerError('`traffic_config` is {"routes": [{"served_model_name": ..., "traffic_percentage": ...}, '
                          '...]}')
    shares = {}
    for route in routes:
        names = [route[key] for key in ("served_model_name", "served_entity_name") if key in route]
        unknown = set(route) - {"served_model_name", "served_entity_name", "traffic_percentage"}
        if unknown:
            raise AnswerError(f"a route has no field {sorted(unknown)[0]!r}")
        if not names or not all(isinstance(name, str) for name in names) or len(set(names)) != 1:
            raise AnswerError("each route names one served entity (`served_model_name`)")
        share = route.get("traffic_percentage")
        whole = (isinstance(share, (int, float)) and not isinstance(share, bool) and math.isfinite(share)
                 and share == int(share))
        if not whole or not 0 <= share <= 100:
            raise AnswerError("`traffic_percentage` is a whole number from 0 to 100 (90, not 0.9 or \"90\")")
        if names[0] in shares:
            raise AnswerError(f"two routes for {names[0]!r}")
        shares[names[0]] = int(share)
    if sum(shares.values()) != 100:
        raise AnswerError(f"the percentages add up to {sum(shares.values())}, not 100")
    return shares


def serving_path(value) -> str:
    """The path of a serving URL: ``/model/x/1/invocations``, or a full ``https://<workspace>/...`` URL's path.

    The path is read from the server's root: ``/api/model/...`` is another path; ``model/...`` is taken as
    ``/model/...``.
    """
    text = _without_comment(_text(value))
    if re.search(r"\s", text):
        raise AnswerError(f"{text!r} has a space in it")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AnswerError(f"{text!r} is not an http(s) URL")
        text = parts.path
    elif text.startswith(("<", "{")) and "/" in text:
        text = text[text.index("/"):]           # "<databricks-instance>/model/..." names the host as a placeholder
    if not text.startswith("/"):
        if ":" in text or text.startswith("."):
            raise AnswerError(f"{text!r}: a path starts with `/` at the server's root")
        text = "/" + text                          # "model/x/1/invocations": the same path, its root implied
    if "?" in text or "#" in text:
        raise AnswerError("write the path without a query string")
    return text.rstrip("/") if text != "/" else text
