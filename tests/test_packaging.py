"""Packaging: the wheel carries every shipped spec and routine, found through importlib.resources;
user folders add specs beside the shipped ones. (`.ci/run` also installs the wheel into a fresh
venv and runs it outside the checkout.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from formcoach.errors import SpecError
from formcoach.resources import DataKind, search_dirs, shipped_dir, yaml_files
from formcoach.specs import get_spec, load_catalog
from formcoach.routine import load_routine

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (no build/ folder left in the checkout); or, in CI, the wheel
    `.ci/run` has just built from the checkout and ships to its outside-the-checkout stage (FORMCOACH_TEST_WHEEL)."""
    if os.environ.get("FORMCOACH_TEST_WHEEL"):
        return Path(os.environ["FORMCOACH_TEST_WHEEL"])
    src = tmp_path_factory.mktemp("src")
    for name in ("formcoach", "exercise_specs", "routines"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src)
    out = tmp_path_factory.mktemp("dist")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(src), "-w", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    return next(out.glob("formcoach-*.whl"))


@pytest.mark.slow
@pytest.mark.one_python  # a py3-none-any wheel: the same files whichever Python builds it
def test_wheel_carries_every_spec_and_routine(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in DataKind:
        shipped = sorted((REPO / kind.folder).glob("*.yaml"))
        assert shipped
        missing = [p.name for p in shipped if f"formcoach/{kind.folder}/{p.name}" not in names]
        assert missing == [], f"not in the wheel: {missing}"
    assert "formcoach/py.typed" in names and "formcoach/cli.py" in names


def test_shipped_folders_are_found_through_the_package():
    assert shipped_dir(DataKind.SPECS).samefile(REPO / "exercise_specs")
    assert shipped_dir(DataKind.ROUTINES).samefile(REPO / "routines")


def _user_spec(folder: Path, spec_id: str, name: str) -> None:
    text = (REPO / "exercise_specs" / "wall_squat.yaml").read_text()
    folder.mkdir(exist_ok=True)
    (folder / f"{spec_id}.yaml").write_text(text.replace("id: wall_squat", f"id: {spec_id}", 1)
                                            .replace("name: ", f"name: {name} #", 1))


def test_user_specs_add_to_the_shipped_catalog_and_replace_same_names(tmp_path, monkeypatch):
    _user_spec(tmp_path / "mine", "my_wall_sit", "My wall sit")
    _user_spec(tmp_path / "mine", "wall_squat", "Wall squat (mine)")
    shipped = load_catalog()
    catalog = load_catalog(tmp_path / "mine")
    assert set(catalog) == set(shipped) | {"my_wall_sit"}
    assert catalog["wall_squat"].name == "Wall squat (mine)"
    monkeypatch.setenv("FORMCOACH_SPECS", str(tmp_path / "mine"))
    assert get_spec("my_wall_sit").name == "My wall sit"
    assert search_dirs(DataKind.SPECS)[-1] == tmp_path / "mine"


def test_a_missing_user_folder_is_one_clear_error(tmp_path):
    with pytest.raises(SpecError, match=r"nowhere: exercise spec folder not found \(set FORMCOACH_SPECS"):
        load_catalog(tmp_path / "nowhere")


def test_user_routines_from_the_env_var(tmp_path, monkeypatch):
    folder = tmp_path / "routines"
    folder.mkdir()
    (folder / "mine.yaml").write_text((REPO / "routines" / "home_back.yaml").read_text().replace("id: home_back", "id: mine", 1))
    monkeypatch.setenv("FORMCOACH_ROUTINES", str(folder))
    assert set(yaml_files(DataKind.ROUTINES)) == {"home_back", "mine"}
    assert load_routine("mine", load_catalog()).path == str(folder / "mine.yaml")
    with pytest.raises(SpecError, match="no such routine"):
        load_routine("nope", load_catalog())
