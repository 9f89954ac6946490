"""Vertical reframing: the crop path as editable data (keyframes per shot, pins, camera modes).

Modules: ``aspect`` (aspect ratios, output sizes, black-bar detection), ``solver`` (kinematic
path solver with dead zone, velocity/acceleration limits and pins), ``subject`` (which person the
camera follows), ``path`` (CropPath: keyframes, per-frame evaluation, JSON), ``plan`` (per-shot
planning from a project's persons and shots, storing the ``crop`` track). Pure computation plus
project reads/writes; callable from any worker thread, no Qt.
"""
