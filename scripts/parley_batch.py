"""Headless Parley: generate a lip-sync take in a .blend file, optionally save and render it.

    blender -b shot.blend --python-exit-code 1 --python scripts/parley_batch.py -- \\
        --object Head --emotion happy --intensity 0.7 [--strip Voice | --audio voice.wav] \\
        [--transcript "what is said"] [--extend-scene] [--save | --save-as out.blend] \\
        [--render out/] [--render-engine auto|workbench|eevee|cycles] [--report take.json]

The Parley extension must be installed and enabled in the Blender profile that runs this script
(``blender --command extension install-file -r user_default -e parley-<ver>-<platform>.zip``).
For a development checkout, pass ``--addon-path /path/to/parley.zip`` (installed and enabled in
this profile first) or ``--addon-path /path/to/checkout`` (registered for this run only).
The same job runs through the extension command on Blender 4.2+:
``blender -b shot.blend --command parley -- --object Head ...``.

Exit status: 0 success, 1 generation or render failed, 2 bad arguments / Parley not available.
Logs the Blender, Parley and engine/model versions. See docs/headless.md.
"""
import importlib
import importlib.util
import os
import sys

ADDON_ID = "parley"


def _script_args():
    return sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []


def _enabled_module():
    """The enabled Parley extension module (``bl_ext.<repo>.parley``), or None."""
    import bpy
    for name in bpy.context.preferences.addons.keys():
        if name.startswith("bl_ext.") and name.rsplit(".", 1)[-1] == ADDON_ID:
            return importlib.import_module(name)
    return None


def _from_path(path):
    """Install a zip, or register a source checkout for this run only."""
    import bpy
    path = os.path.abspath(path)
    if path.endswith(".zip"):
        res = bpy.ops.extensions.package_install_files(filepath=path, repo="user_default",
                                                       enable_on_install=True)
        if 'FINISHED' not in res:
            raise RuntimeError(f"could not install {path}")
        return _enabled_module()
    init = os.path.join(path, "__init__.py")
    if not os.path.isfile(os.path.join(path, "blender_manifest.toml")) or not os.path.isfile(init):
        raise RuntimeError(f"{path} is neither a Parley zip nor a Parley checkout")
    # register under the installed module name so extension paths work as usual
    import bl_ext  # noqa: F401  (Blender's extension namespace package)
    repo = importlib.import_module("bl_ext.user_default")
    name = "bl_ext.user_default." + ADDON_ID
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[path])
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    setattr(repo, ADDON_ID, mod)
    mod.register()
    return mod


def main():
    args = _script_args()
    addon_path = None
    if "--addon-path" in args:
        i = args.index("--addon-path")
        if i + 1 >= len(args):
            print("parley_batch: error: --addon-path needs a value", flush=True)
            sys.exit(2)
        addon_path = args[i + 1]
        del args[i:i + 2]
    try:
        mod = _from_path(addon_path) if addon_path else _enabled_module()
    except (RuntimeError, ImportError, OSError) as exc:
        print(f"parley_batch: error: {exc}", flush=True)
        sys.exit(2)
    if mod is None:
        print("parley_batch: error: the Parley extension is not enabled in this Blender profile; "
              "install it (blender --command extension install-file -r user_default -e "
              "parley-<version>-<platform>.zip) or pass --addon-path", flush=True)
        sys.exit(2)
    batch = importlib.import_module(mod.__name__ + ".animation.batch")
    sys.exit(batch.run(args))


if __name__ == "__main__":
    main()
