"""keras_shape_service.schemas is usable by another program's test harness with neither TensorFlow, Flask nor
the rest of the service."""

import subprocess
import sys


def test_schemas_import_alone():
    code = (
        "import sys; from keras_shape_service.schemas.openapi import openapi_document; openapi_document(); "
        "heavy = {'tensorflow', 'keras', 'flask'} & set(sys.modules); "
        "ours = {m for m in sys.modules if m.startswith('keras_shape_service.')}; "
        "heavy |= {m for m in ours if not m.startswith('keras_shape_service.schemas')}; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
