"""Generated documentation stays in step with the specs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_exercise_catalog_page_is_generated_from_the_current_specs():
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "gen_exercise_docs.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
