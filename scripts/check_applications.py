"""Check the table of keras.applications layer counts (keras_shape_service/schemas/keras_names.py) against the
installed Keras, by building every network (weights=None: nothing is downloaded); a few minutes.

    .venv/bin/python scripts/check_applications.py          # check: exit 1 and list the differences
    .venv/bin/python scripts/check_applications.py --write  # check, then write the counts and the version

Run it when Keras changes (make lock, a security release): tests/unit/test_keras_names.py fails until the
table's version is the installed one.
"""

import argparse
import re
import sys
from pathlib import Path

import keras

TABLE = Path(__file__).resolve().parents[1] / "keras_shape_service" / "schemas" / "keras_names.py"
sys.path.insert(0, str(TABLE.parents[2]))

from keras_shape_service.schemas.keras_names import APPLICATION_LAYERS  # noqa: E402


def counts() -> dict[str, int]:
    """Each network's model.layers as Keras builds it today."""
    found = {}
    for name in APPLICATION_LAYERS:
        with keras.StatelessScope(initialize_variables=False):
            found[name] = len(getattr(keras.applications, name)(weights=None).layers)
        keras.backend.clear_session()
        print(f"{name}: {found[name]}", file=sys.stderr)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the counts and Keras's version into the table")
    options = parser.parse_args()
    found = counts()
    wrong = {
        name: (APPLICATION_LAYERS[name], count) for name, count in found.items() if count != APPLICATION_LAYERS[name]
    }
    for name, (listed, count) in wrong.items():
        print(f"{name}: the table says {listed}, Keras {keras.__version__} builds {count}")
    if options.write:
        text = TABLE.read_text()
        for name, count in found.items():
            text = re.sub(rf'("{name}": )\d+', rf"\g<1>{count}", text)
        text = re.sub(
            r'APPLICATION_LAYERS_KERAS_VERSION = "[^"]*"',
            f'APPLICATION_LAYERS_KERAS_VERSION = "{keras.__version__}"',
            text,
        )
        TABLE.write_text(text)
        return 0
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
