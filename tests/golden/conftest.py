"""Golden files (torchinfo's verify_output habit): an answer's text is compared with the file that holds it;
`pytest tests/golden --overwrite` writes the files anew, for a change that means to change them (review the diff)."""

from pathlib import Path

import pytest

FILES = Path(__file__).parent / "files"


@pytest.fixture
def golden(request):
    """Compare a text with its golden file (or write it, under --overwrite)."""

    def verify(name: str, text: str) -> None:
        path = FILES / name
        if request.config.getoption("--overwrite"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
            return
        assert path.exists(), f"no golden file {path}: run pytest tests/golden --overwrite and review it"
        assert text == path.read_text(), f"{name} differs from its golden file (pytest tests/golden --overwrite)"

    return verify
