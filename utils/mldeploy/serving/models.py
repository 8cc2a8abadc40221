"""Loading served models with MLflow's own pyfunc loader, once per model version, shared between endpoints.

Promotion and rollback re-route traffic between models already in memory, so loads are cached by the
*resolved* URI: ``models:/flights/Production`` or ``models:/flights@champion`` is turned into the version
number it names at the moment the config is applied (as Databricks pins a version per served entity), and a
model already loaded under that version is reused rather than loaded a second time.

A model scaled to zero (``scale_to_zero``) keeps its ``LoadedModel`` (URI, schema) with ``model`` None until
``reload`` (or a config that names it) loads it again.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass
from typing import Any

from .. import registry
from .config import ConfigError


@dataclass
class LoadedModel:
    """A pyfunc model in memory, with what error messages need to say about its input."""

    uri: str
    model: Any  # mlflow.pyfunc.PyFuncModel; None while scaled to zero
    input_schema: Any  # mlflow.types.Schema or None
    accepts_params: bool

    @property
    def expected_schema(self) -> list[dict[str, Any]] | None:
        """The signature's inputs as JSON ([{"name", "type", "required"}, ...]), or None without a signature."""
        return None if self.input_schema is None else self.input_schema.to_dict()

    def example_body(self) -> dict[str, Any]:
        """A request body this model accepts, built from its signature (for error messages)."""
        if self.input_schema is None or not self.input_schema.has_input_names():
            return {"inputs": ["..."]}
        columns = self.input_schema.input_names()
        return {"dataframe_split": {"columns": columns, "data": [[f"<{spec.get('type')}>"
                                                                for spec in self.expected_schema]]}}

    def predict(self, data: Any, params: dict[str, Any] | None) -> Any:
        if self.accepts_params and params:
            return self.model.predict(data, params=params)
        return self.model.predict(data)


def resolve_uri(uri: str) -> str:
    """``models:/name/<stage>`` and ``models:/name@alias`` as the version they name now (ConfigError if none)."""
    try:
        return registry.resolve_uri(uri)
    except registry.RegistryError as error:
        raise ConfigError(str(error)) from None


class ModelLoader:
    """Loads each resolved model URI once; ``keep_only`` forgets models no config uses any more."""

    def __init__(self) -> None:
        self._models: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()

    def __contains__(self, uri: str) -> bool:
        return uri in self._models

    def load(self, uri: str) -> LoadedModel:
        """The model at ``uri`` (already resolved), loaded now or earlier; ConfigError if MLflow cannot."""
        with self._lock:  # one load at a time: two configs naming one model load it once
            if uri not in self._models:
                self._models[uri] = _load(uri)
            elif self._models[uri].model is None:  # scaled to zero: a config that names it loads it again
                self._models[uri].model = _load(uri).model
            return self._models[uri]

    def reload(self, model: LoadedModel) -> None:
        """Load a model scaled to zero again, in place (every state holding it sees it); ConfigError on failure."""
        with self._lock:
            if model.model is None:
                model.model = _load(model.uri).model

    @staticmethod
    def unload(model: LoadedModel) -> None:
        """Let go of the pyfunc (scale to zero); its URI and schema stay for messages and a later ``reload``.

        No lock: one assignment, made from the event loop, which must never wait for a load to finish.
        """
        model.model = None

    def keep_only(self, uris: set[str]) -> None:
        with self._lock:
            for uri in set(self._models) - uris:
                del self._models[uri]


def _load(uri: str) -> LoadedModel:
    import mlflow

    try:
        model = mlflow.pyfunc.load_model(uri)
    except Exception as error:  # MLflow raises many types here; the config is what is wrong
        raise ConfigError(f"MLflow could not load {uri}: {type(error).__name__}: {error}") from None
    accepts = "params" in inspect.signature(model.predict).parameters
    return LoadedModel(uri=uri, model=model, input_schema=model.metadata.get_input_schema(), accepts_params=accepts)
