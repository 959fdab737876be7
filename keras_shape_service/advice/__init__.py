"""Refusals that teach, as one step after a refusal: advise_body for a body the schema refused, advise_model
for a model the engine refused. Reads what the refusal carries (its cause); the refusal itself stays data."""

from .body import advise_body, offer_fix
from .fixes import advise_model

__all__ = ["advise_body", "advise_model", "offer_fix"]
