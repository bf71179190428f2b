"""Parley: speech-driven lip-sync and facial animation for FLAME-topology heads (Blender extension).

Blender imports this package as ``bl_ext.<repo>.parley``. Everything that needs ``bpy`` lives in
``blender_support/``, ``operators/``, ``panels/`` and ``animation/``; the engine in ``core/`` is
plain Python. Outside Blender (plain Python tools, pytest collecting from the repository root)
``bpy`` is absent and this file registers nothing.
"""
try:
    import bpy
except ModuleNotFoundError:  # plain Python: only core/ is usable
    bpy = None

if bpy is not None:
    from .blender_support import preferences, properties
    from . import operators, panels
    from .animation import batch

    _CLASSES = (*preferences.CLASSES, *properties.CLASSES, *operators.CLASSES, *panels.CLASSES)
else:
    _CLASSES = ()


def register():
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    properties.register_properties()
    batch.register_cli()  # `blender --command parley ...` where supported


def unregister():
    batch.unregister_cli()
    properties.unregister_properties()
    for cls in reversed(_CLASSES):
        if getattr(cls, "is_registered", True):
            bpy.utils.unregister_class(cls)
