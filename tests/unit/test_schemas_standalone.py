"""schemas is usable by another program's test harness with neither TensorFlow, Flask nor the service."""
import subprocess
import sys


def test_schemas_import_alone():
    code = ("import sys, schemas; from schemas.openapi import openapi_document; openapi_document(); "
            "heavy = {'tensorflow', 'keras', 'flask', 'service'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
