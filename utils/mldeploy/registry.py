"""Pinning a ``models:/`` URI to the registered version it names right now: one resolver for the course.

An alias (``models:/flights@champion``) or a legacy stage (``models:/flights/Production``) may move while a
server or a stream runs; what scored a request or a row must stay nameable. So the serving endpoint and the
scoring stream both resolve the URI once, when they take the model up, to ``models:/name/<version>``, as
Databricks pins a version per served entity.
"""

from __future__ import annotations

import re
import warnings

#: Registry stages MLflow knows (deprecated in MLflow 3 in favour of aliases, still on the certification exam).
STAGES = ("None", "Staging", "Production", "Archived")
_REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>[^/]+)|@(?P<alias>.+))$")
_PINNED = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


class RegistryError(LookupError):
    """The registry cannot say which version a URI names; the message says what to do instead."""


def resolve_uri(uri: str) -> str:
    """``models:/name/<stage>``, ``models:/name/latest`` and ``models:/name@alias`` as ``models:/name/<version>``.

    Any other URI (a version number, ``runs:/``, a logged model's ``models:/m-<id>``, a path) names one
    model already and comes back unchanged.
    """
    match = _REGISTRY_URI.match(uri)
    if not match:
        return uri
    name, version, alias = match["name"], match["version"], match["alias"]
    if version is not None and version.isdigit():
        return uri
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    stage = None if version is None else version.capitalize()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # stages are deprecated; the legacy routes teach them
            if stage == "Latest":
                found = client.get_latest_versions(name)
            elif stage in STAGES:
                found = client.get_latest_versions(name, stages=[stage])
            else:  # an alias, written models:/name@alias (or models:/name/alias on a legacy route)
                return f"models:/{name}/{client.get_model_version_by_alias(name, alias or version).version}"
    except MlflowException as error:
        raise RegistryError(f"The registry cannot resolve {uri}: {error.message}") from None
    if not found:
        raise RegistryError(f"Registered model {name!r} has no version in stage {stage!r}: transition one with "
                            f"MlflowClient().transition_model_version_stage({name!r}, <version>, {stage!r}), or "
                            "name a version number.")
    return f"models:/{name}/{max(found, key=lambda v: int(v.version)).version}"


def pinned_version(uri: str) -> str:
    """The version a resolved URI names: ``"3"`` for ``models:/name/3``; any other URI is its own version."""
    match = _PINNED.match(uri)
    return match["version"] if match else uri
