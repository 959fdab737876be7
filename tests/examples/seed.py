"""The seed question's code, exactly as its asker pasted it (Python 2 print included)."""

from keras_shape_service.schemas.examples import SEED_CODE, SEED_MODEL

CODE = SEED_CODE
MODEL = "model"
# The pasted code has no imports and ends on a Python 2 print: the test runs it with these, without that line.
RUN_PRELUDE = (
    "import numpy as np\nfrom keras.models import Sequential\nfrom keras.layers import Dense, Activation, Flatten\n"
)
NOT_RUN = ["print y.shape"]
CONCISE = SEED_MODEL
