"""Helpers for scripts that run inside a bpy process (imported by path, not by pytest)."""
import json
import sys
import traceback

MODULE = "bl_ext.user_default.parley"


def emit(result: dict) -> None:
    sys.stdout.write("PARLEY_RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


def run(main) -> None:
    """Call ``main()`` and emit its dict; on an exception emit the traceback instead."""
    try:
        result = main()
    except Exception:  # reported to the test, which fails with the traceback
        result = {"exception": traceback.format_exc()}
    emit(result)


def enable_addon():
    """Enable the installed extension in this fresh process; returns its module."""
    import importlib
    import bpy
    bpy.ops.preferences.addon_enable(module=MODULE)
    return importlib.import_module(MODULE)


def _cli_registered() -> bool:
    """Whether Parley's ``--command parley`` handle is registered (False where unsupported)."""
    import sys as _sys
    batch = _sys.modules.get(MODULE + ".animation.batch")
    return bool(batch is not None and batch._CLI_HANDLE is not None)


def registered_parley() -> dict:
    """What of Parley is registered right now (types, operators, properties)."""
    import bpy
    return {
        "types": sorted(n for n in dir(bpy.types) if "parley" in n.lower()),
        # property groups and preferences are not listed in bpy.types: ask the classes themselves
        "classes": sorted(c.__name__ for base in (bpy.types.PropertyGroup, bpy.types.AddonPreferences,
                                                  bpy.types.Operator, bpy.types.Panel)
                          for c in base.__subclasses__()
                          if "parley" in c.__name__.lower() and getattr(c, "is_registered", False)),
        "ops": sorted(dir(bpy.ops.parley)),
        "scene_prop": hasattr(bpy.types.Scene, "parley"),
        "wm_prop": hasattr(bpy.types.WindowManager, "parley"),
        "addon_enabled": MODULE in bpy.context.preferences.addons.keys(),
        "cli_command": _cli_registered(),
    }
