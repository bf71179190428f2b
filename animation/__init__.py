"""Blender-side animation output of Parley: find or build the shape keys (``targets``), write takes
as actions (``takes``) and run one generation from scene to keyframes (``apply``).

Everything here may import bpy; the speech->motion work itself lives in ``core`` (bpy-free).
"""
