"""Refusals that teach: what a layer expected, what it got, one sentence to act on, and candidate fixes.

A candidate fix is a JSON Patch (RFC 6902) against the request body, with the hint that goes with it. Nothing
here knows whether a candidate works: the engine (a refused model) and the edge (a refused body) each try them
on the patched request and offer the first that plans, with its hint, or only the fallback hint when none does.
Knows no Keras: the adapter says what it saw (keras_shape_service.errors: Received, Misnamed), and this module
says what it means.
"""

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import jsonpatch
from pydantic import ValidationError

from keras_shape_service.errors import Misnamed
from keras_shape_service.schemas import PatchOperation, ProblemItem

Patch = list[dict[str, Any]]
RECURRENT = ("SimpleRNN", "LSTM", "GRU")


@dataclass
class Advice:
    """What a refusal teaches: the item's expected/got, a hint to fall back on, candidates (hint, patch)."""

    expected: Optional[str] = None
    got: Optional[str] = None
    hint: Optional[str] = None
    candidates: list[tuple[str, Patch]] = field(default_factory=list)


def did_you_mean(name: str, choices: tuple[str, ...]) -> Optional[str]:
    """The choice `name` most likely meant: the same name in another case, else the closest spelling."""
    folded = {choice.lower(): choice for choice in choices}
    if name.lower() in folded:
        return folded[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(folded), n=1, cutoff=0.75)
    return folded[close[0]] if close else None


def at(document: Any, loc: Any) -> Any:
    """The value at a JSON location of a document, or None where it has none."""
    for part in loc:
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and isinstance(part, int) and 0 <= part < len(document):
            document = document[part]
        else:
            return None
    return document


def pointer(loc: Any) -> str:
    """A JSON location (list of keys and indexes) as a JSON Pointer."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def rename(config_loc: tuple, key: str, new_key: str, value: Any) -> Patch:
    """A patch moving a config key's value to another key (written as remove and add: no aliased "from")."""
    return [
        {"op": "remove", "path": pointer(config_loc + (key,))},
        {"op": "add", "path": pointer(config_loc + (new_key,)), "value": value},
    ]


def required_advice(class_name: str, required: str, unknown: dict[str, Any], config_loc: tuple) -> Advice:
    """A required argument missing: where an unknown one is spelled like it, that one is named, and renamed."""
    typo = did_you_mean(required, tuple(unknown))
    if typo is None:
        return Advice(hint=f"{class_name} needs the argument '{required}'.")
    hint = f"{class_name} has no argument '{typo}': did you mean '{required}'?"
    return Advice(hint=hint, candidates=[(hint, rename(config_loc, typo, required, unknown[typo]))])


def misnamed_advice(cause: Misnamed) -> Advice:
    """Did you mean: an unknown argument named as unknown, an unknown activation or initializer by its name."""
    if cause.what == "required":
        return required_advice(cause.class_name, cause.name, cause.values, cause.config_loc)
    meant = did_you_mean(cause.name, cause.choices)
    if cause.what == "argument":
        advice = Advice(hint=f"{cause.class_name} has no argument '{cause.name}'.")
        if meant:
            advice.hint = f"{cause.class_name} has no argument '{cause.name}': did you mean '{meant}'?"
            advice.candidates.append((advice.hint, rename(cause.config_loc, cause.key, meant, cause.value)))
        return advice
    advice = Advice(hint=f"'{cause.name}' is no {cause.what} Keras knows.")
    if meant:
        advice.hint = f"'{cause.name}' is no {cause.what} Keras knows: did you mean '{meant}'?"
        path = pointer(cause.config_loc + (cause.key,))
        advice.candidates.append((advice.hint, [{"op": "replace", "path": path, "value": meant}]))
    return advice


def teach(item: ProblemItem, advice: Advice) -> None:
    """The item's expected, got and fallback hint (a checked candidate's hint replaces it)."""
    item.expected, item.got, item.hint = advice.expected, advice.got, advice.hint


def patched(
    candidates: list[tuple[str, Patch]], document: Any, validate: Callable[[Any], Any]
) -> list[tuple[str, Patch, Any]]:
    """The candidates whose patched body validates, with their typed requests: each patch copies the body."""
    valid = []
    for hint, patch in candidates:
        if any(operation["op"] != "remove" and operation.get("value") is None for operation in patch):
            continue  # an answer leaves out null fields, and an add without its value is no patch
        try:
            valid.append((hint, patch, validate(jsonpatch.apply_patch(document, patch))))
        except (ValidationError, jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
            continue
    return valid


def offer_planned(item: ProblemItem, valid: list[tuple[str, Patch, Any]], plans: Callable[[Any], bool]) -> bool:
    """Offer the first validated candidate whose request plans, with its hint; whether one did."""
    for hint, patch, typed in valid:
        if plans(typed):
            item.hint, item.fix = hint, [PatchOperation(**operation) for operation in patch]
            return True
    return False


def offer(
    item: ProblemItem,
    candidates: list[tuple[str, Patch]],
    document: Any,
    validate: Callable[[Any], Any],
    plans: Callable[[Any], bool],
) -> None:
    """Offer the first candidate whose patched body validates and plans, with its hint; never an unchecked one."""
    offer_planned(item, patched(candidates, document, validate), plans)
