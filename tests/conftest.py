import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def pytest_configure(config):
    config.addinivalue_line("markers", "spark: runs Spark in local mode (needs Java; skipped without it unless "
                                       "PUMPBILL_REQUIRE_SPARK is set)")
