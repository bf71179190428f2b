"""Install the built zip into this BLENDER_USER_RESOURCES, enable it, inspect, disable, re-enable."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import MODULE, registered_parley, run  # noqa: E402


def main():
    import importlib
    import bpy

    zip_path = sys.argv[1]
    out = {"blender": bpy.app.version_string, "background": bpy.app.background,
           # bpy 4.2.x wheels are built without Audaspace: no sound strips, no mixdown
           "has_audio": bool(getattr(bpy.app.build_options, "audaspace", False))}
    res = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                   enable_on_install=True)
    out["install_result"] = sorted(res)
    out["after_install"] = registered_parley()
    mod = importlib.import_module(MODULE)
    out["module_file"] = mod.__file__
    prefs = bpy.context.preferences.addons[MODULE].preferences
    out["prefs"] = {"bl_idname": type(prefs).bl_idname, "compute_device": prefs.compute_device,
                    "num_threads": prefs.num_threads, "model_path": prefs.model_path,
                    "device_items": [i.identifier for i in
                                     type(prefs).bl_rna.properties["compute_device"].enum_items]}
    settings = bpy.context.scene.parley
    rna = type(settings).bl_rna.properties
    out["settings"] = {
        "props": sorted(p.identifier for p in rna if p.identifier != "rna_type"),
        "emotions": [i.identifier for i in rna["emotion"].enum_items],
        "sources": [i.identifier for i in rna["audio_source"].enum_items],
        "intensity_range": [rna["intensity"].hard_min, rna["intensity"].hard_max],
        "audio_file_subtype": rna["audio_file"].subtype,
        "target_type": rna["target"].fixed_type.identifier,
    }
    panel = getattr(bpy.types, "PARLEY_PT_main", None)
    out["panel"] = None if panel is None else {"space": panel.bl_space_type,
                                              "region": panel.bl_region_type,
                                              "category": panel.bl_category}
    # Bundled wheels are importable inside Blender, and the core engine loads with them.
    import soundfile
    import scipy
    out["soundfile_file"] = soundfile.__file__
    out["scipy_version"] = scipy.__version__
    import pocketsphinx
    out["pocketsphinx_file"] = pocketsphinx.__file__
    out["pocketsphinx_model"] = os.path.isdir(pocketsphinx.get_model_path())
    core_audio = importlib.import_module(MODULE + ".core.audio")
    out["core_audio_rate"] = core_audio.TARGET_RATE
    out["user_path"] = bpy.utils.extension_path_user(MODULE, path="audio", create=True)
    # poll_message_set: the reason reaches the caller when Check Audio cannot run.
    try:
        bpy.ops.parley.check_audio()
        out["poll_error"] = None
    except RuntimeError as exc:
        out["poll_error"] = str(exc)

    bpy.ops.preferences.addon_disable(module=MODULE)
    out["after_disable"] = registered_parley()
    bpy.ops.preferences.addon_enable(module=MODULE)
    out["after_reenable"] = registered_parley()
    bpy.ops.preferences.addon_disable(module=MODULE)
    out["after_second_disable"] = registered_parley()
    return out


run(main)
