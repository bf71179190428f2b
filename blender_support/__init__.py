"""Blender-side helpers of the Parley extension (everything here may import bpy; core/ never does)."""


def addon_package() -> str:
    """The extension's module name (``bl_ext.<repo>.parley`` when installed), from this package's name."""
    return __package__.rpartition(".")[0]
