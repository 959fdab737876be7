"""Advice on a refused body: did-you-mean for a layer type, and an unknown argument named as unknown.

A concise layer lets any argument through to Keras, so a misspelled required one ("unit" for "units") reaches
the schema as that field missing; the error is reported at the misspelled key instead.
"""

from typing import Any, Callable, Optional

from pydantic_core import ErrorDetails

from keras_shape_service.errors import InvalidRequest
from keras_shape_service.schemas import ProblemItem
from keras_shape_service.schemas.keras_names import ALLOWED_LAYER_TYPES
from keras_shape_service.schemas.spec import concise_fields

from .hints import Advice, Patch, at, did_you_mean, offer_planned, patched, pointer, required_advice, teach

Candidates = list[tuple[str, list[dict[str, Any]]]]
# A listed error and its candidate fixes whose patched bodies validate: (hint, patch, typed request).
ValidFixes = list[tuple[ProblemItem, list[tuple[str, Patch, Any]]]]
_WRAPPERS = ("Bidirectional", "TimeDistributed")


def _layer_type(name: str, loc: list) -> Advice:
    meant = did_you_mean(name, ALLOWED_LAYER_TYPES)
    if meant is None:
        return Advice(hint=f"There is no layer type '{name}' the service builds; /openapi.json lists them.")
    hint = f"There is no layer type '{name}': did you mean '{meant}'?"
    return Advice(hint=hint, candidates=[(hint, [{"op": "replace", "path": pointer(loc), "value": meant}])])


def _missing(field: str, layer: dict, layer_loc: list) -> tuple[Optional[dict], Advice]:
    """A required argument missing: named as misspelled where an unknown key is spelled like it."""
    layer_type = layer["type"]
    unknown = {key: value for key, value in layer.items() if key not in concise_fields(layer_type)}
    advice, typo = required_advice(layer_type, field, unknown, tuple(layer_loc)), did_you_mean(field, tuple(unknown))
    if typo is not None:
        return {
            "loc": layer_loc + [typo],
            "msg": f"unknown argument '{typo}' of {layer_type}",
            "type": "unknown_argument",
        }, advice
    if field == "layer" and layer_type in _WRAPPERS:
        return None, Advice(
            hint=f'{layer_type} wraps another layer: give it as "layer", e.g. {{"type": "LSTM", "units": 16}}.'
        )
    return None, advice


def schema_advice(error: ErrorDetails, loc: list, document: Any) -> tuple[Optional[dict], Optional[Advice]]:
    """For one pydantic error at `loc` of the body: the item's replacement fields (or None), and its advice."""
    if error["type"] == "layer_type" and isinstance((error.get("ctx") or {}).get("name"), str):
        return None, _layer_type(error["ctx"]["name"], loc)
    if error["type"] == "missing" and loc and isinstance(loc[-1], str):
        layer = at(document, loc[:-1])
        if isinstance(layer, dict) and isinstance(layer.get("type"), str):
            return _missing(loc[-1], layer, loc[:-1])
    return None, None


def advise_body(refusal: InvalidRequest, validate: Optional[Callable[[Any], Any]] = None) -> ValidFixes:
    """Hints on the listed errors of a refused body (a bounded number: see MAX_LISTED_ERRORS), and, given
    `validate`, where the body has one error, the candidate fixes whose patched bodies validate (a fix of one of
    several errors leaves the body invalid). Works on the body alone: a large body is advised on a thread, and
    the fixes are planned after, by offer_fix, where the executors are reached."""
    candidates = []
    items = refusal.errors or []  # the refusal's own list where it has one: items are replaced in it
    for index, (error, item) in enumerate(zip(refusal.raw, items)):
        replaced, advice = schema_advice(error, item.loc, refusal.document)
        if replaced is not None:
            item = ProblemItem(**replaced)
            refusal.replace_item(index, item)
        if advice is not None:
            teach(item, advice)
            candidates.append((item, advice.candidates))
    if validate is None or refusal.count != 1:
        return []
    return [(item, patched(found, refusal.document, validate)) for item, found in candidates]


def offer_fix(fixes: ValidFixes, plans: Callable[[Any], bool]) -> None:
    """Offer, on each advised item, its first validated fix whose request plans."""
    for item, valid in fixes:
        offer_planned(item, valid, plans)
