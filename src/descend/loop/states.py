"""The run states a checkpoint may hold, under stable names (``"descent"``, ``"adam"``, ...).

A checkpoint names the class of every NamedTuple in a run's state so that it can be rebuilt.
It names it by the *registered* name below, never by where the class lives: moving
``ScaleByAdamState`` to another module changes one line of :data:`STATE_CLASSES`, and every
saved run still loads. Files written before these names (checkpoint format version 1) spelled a
class as ``module:qualname``; :data:`LEGACY_NAMES` maps each of those spellings to its name.

The table holds where each class lives as text and imports it on first use, so the loop does not
import the packages above it (``descend.models``) to read a checkpoint. A state class of
descend's not listed here can be added with :func:`register_state`.

>>> state_class("adam").__name__, state_name(state_class("adam"))
('ScaleByAdamState', 'adam')
>>> state_class("descend.optim.transforms:TraceState").__name__  # a version-1 spelling
'TraceState'
"""

from __future__ import annotations

import importlib

from descend.errors import DataError, InputError

__all__ = ["LEGACY_NAMES", "STATE_CLASSES", "register_state", "state_class", "state_name"]

#: Stable name -> ``module:qualname`` of the class today. Change the right side when a class
#: moves (and keep its old spelling in :data:`LEGACY_NAMES`); never change the left side.
STATE_CLASSES: dict[str, str] = {
    "descent": "descend.models._descent:DescentState",
    "watch": "descend.loop.stopping:WatchState",
    "line_search": "descend.loop._linesearch:LoopState",
    "add_decayed_weights": "descend.optim.transforms:AddDecayedWeightsState",
    "trace": "descend.optim.transforms:TraceState",
    "adagrad": "descend.optim.transforms:ScaleByAdagradState",
    "rms": "descend.optim.transforms:ScaleByRmsState",
    "adam": "descend.optim.transforms:ScaleByAdamState",
    "learning_rate": "descend.optim.transforms:ScaleByLearningRateState",
}

#: ``module:qualname`` spellings of format version 1 (descend up to 33caf72) -> stable name.
LEGACY_NAMES: dict[str, str] = {where: name for name, where in STATE_CLASSES.items()}

_loaded: dict[str, type] = {}


def register_state(name: str, cls: type) -> None:
    """Register NamedTuple class ``cls`` of a run state under the stable ``name``."""
    if not (isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")):
        raise InputError(f"register_state: {cls!r} is not a NamedTuple class")
    where = f"{cls.__module__}:{cls.__qualname__}"
    if STATE_CLASSES.get(name, where) != where:
        raise InputError(f"register_state: the name {name!r} is taken by {STATE_CLASSES[name]}")
    STATE_CLASSES[name] = where
    _loaded[name] = cls


def state_name(cls: type) -> str:
    """The stable name of state class ``cls``; an unregistered class is an InputError."""
    where = f"{cls.__module__}:{cls.__qualname__}"
    for name, place in STATE_CLASSES.items():
        if place == where:
            return name
    raise InputError(
        f"cannot checkpoint a {cls.__qualname__}: it is not a registered run state; register it "
        "with descend.loop.states.register_state(name, cls)"
    )


def state_class(spec: str, where: str = "checkpoint") -> type:
    """The class a checkpoint names: a stable name, or a version-1 ``module:qualname``.

    Only the registered classes are ever built: a checkpoint can name data, never code.
    """
    if ":" in spec:
        module = spec.partition(":")[0]
        if not (module == "descend" or module.startswith("descend.")):
            raise DataError(f"{where}: state class {spec!r} is not a descend class; refusing it")
        name = LEGACY_NAMES.get(spec)
        if name is None:
            raise DataError(
                f"{where}: state class {spec!r} no longer exists; the checkpoint was written by "
                "another version of descend"
            )
    else:
        name = spec
    if name not in STATE_CLASSES:
        raise DataError(
            f"{where}: state class {spec!r} is not one descend knows ({', '.join(STATE_CLASSES)});"
            " the checkpoint was written by another version of descend"
        )
    if name not in _loaded:
        module, _, qualname = STATE_CLASSES[name].partition(":")
        obj: object = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        assert isinstance(obj, type)
        _loaded[name] = obj
    return _loaded[name]
