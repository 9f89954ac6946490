"""core/ stays free of Qt and ML libraries; importing it headless pulls in none of them."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ["PySide6", "pyqtgraph", "torch", "ultralytics", "faster_whisper", "faiss", "onnxruntime"]


def test_core_imports_no_qt_or_ml():
    code = (
        "import importlib, pkgutil, sys, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"core imported {r.stdout.strip()}"


def test_models_import_lazily():
    code = (
        "import importlib, pkgutil, sys, models\n"
        "for m in pkgutil.walk_packages(models.__path__, 'models.'):\n"
        "    importlib.import_module(m.name)\n"
        "heavy = ('torch', 'ultralytics', 'faster_whisper', 'faiss', 'PySide6')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"importing models pulled in {r.stdout.strip()} at start-up"


def test_import_contracts():
    exe = Path(sys.executable).parent / "lint-imports"
    r = subprocess.run([str(exe)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:]
