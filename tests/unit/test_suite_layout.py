"""How make test runs the suite: the serial tests alone, from tests/integration only (the Makefile collects
nothing else for them), so a serial mark anywhere else would never run."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _marks_serial(path: Path) -> bool:
    return path != Path(__file__).resolve() and "pytest.mark.serial" in path.read_text()


def test_every_serial_test_is_an_integration_test():
    marked = {path.relative_to(TESTS).parts[0] for path in TESTS.rglob("test_*.py") if _marks_serial(path)}
    assert marked == {"integration"}, marked
