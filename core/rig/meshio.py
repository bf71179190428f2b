"""PLY reading/writing for FLAME-topology heads (binary little/big endian and ASCII).

Only what Parley needs: vertex x/y/z (any extra vertex properties are skipped) and triangle faces.
Written on numpy alone so it runs inside Blender's Python without extra wheels.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}


class PlyError(ValueError):
    """The file is not a PLY mesh Parley can read (message names the problem)."""


def _parse_header(data: bytes, path: str):
    end = data.find(b"end_header")
    if not data.startswith(b"ply") or end < 0:
        raise PlyError(f"{path}: not a PLY file (missing 'ply' magic or 'end_header')")
    nl = data.find(b"\n", end)
    header = data[:end].decode("ascii", "replace").splitlines()
    fmt, elements = None, []
    for line in header:
        tok = line.split()
        if not tok:
            continue
        if tok[0] == "format":
            fmt = tok[1]
        elif tok[0] == "element":
            elements.append([tok[1], int(tok[2]), []])
        elif tok[0] == "property" and elements:
            elements[-1][2].append(tok[1:])
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise PlyError(f"{path}: unsupported PLY format {fmt!r}")
    return fmt, elements, nl + 1


def load_ply(path) -> tuple[np.ndarray, np.ndarray]:
    """Read a triangle mesh: returns ``(vertices float32 [N,3], faces int64 [F,3])``.

    Quads/polygons are fan-triangulated. Raises :class:`PlyError` naming the problem.
    """
    path = str(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"mesh file not found: {path}")
    data = Path(path).read_bytes()
    fmt, elements, offset = _parse_header(data, path)
    names = [e[0] for e in elements]
    if "vertex" not in names:
        raise PlyError(f"{path}: PLY has no 'vertex' element")
    if fmt == "ascii":
        return _load_ascii(data[offset:].decode("ascii", "replace"), elements, path)
    endian = "<" if fmt == "binary_little_endian" else ">"
    verts = faces = None
    for name, count, props in elements:
        if name == "vertex" or any(p[0] != "list" for p in props):
            dt = []
            for p in props:
                if p[0] == "list":
                    raise PlyError(f"{path}: list property inside element '{name}' is not supported")
                dt.append((p[1], endian + _PLY_TYPES[p[0]]))
            arr = np.frombuffer(data, dtype=np.dtype(dt), count=count, offset=offset)
            offset += arr.nbytes
            if name == "vertex":
                try:
                    verts = np.stack([arr["x"], arr["y"], arr["z"]], 1).astype(np.float32)
                except ValueError as exc:
                    raise PlyError(f"{path}: vertex element lacks x/y/z properties") from exc
        else:  # element made of one list property (faces)
            if len(props) != 1:
                raise PlyError(f"{path}: element '{name}' mixes list and scalar properties")
            _, ct, it, _pname = props[0]
            ctype, itype = np.dtype(endian + _PLY_TYPES[ct]), np.dtype(endian + _PLY_TYPES[it])
            # fast path: every polygon is a triangle
            rec = np.dtype([("n", ctype), ("i", itype, (3,))])
            if len(data) - offset >= rec.itemsize * count:
                arr = np.frombuffer(data, dtype=rec, count=count, offset=offset)
                if np.all(arr["n"] == 3):
                    offset += arr.nbytes
                    if name == "face":
                        faces = arr["i"].astype(np.int64)
                    continue
            polys = []
            for _ in range(count):
                n = int(np.frombuffer(data, ctype, 1, offset)[0])
                offset += ctype.itemsize
                polys.append(np.frombuffer(data, itype, n, offset).astype(np.int64))
                offset += itype.itemsize * n
            if name == "face":
                faces = _triangulate(polys)
    if faces is None:
        faces = np.zeros((0, 3), np.int64)
    return verts, faces


def _load_ascii(text: str, elements, path):
    tokens = iter(text.split())
    verts = faces = None
    for name, count, props in elements:
        rows = []
        for _ in range(count):
            row = []
            for p in props:
                if p[0] == "list":
                    n = int(next(tokens))
                    row.append([float(next(tokens)) for _ in range(n)])
                else:
                    row.append(float(next(tokens)))
            rows.append(row)
        pnames = [p[-1] for p in props]
        if name == "vertex":
            ix = [pnames.index(c) for c in "xyz"]
            verts = np.array([[r[i] for i in ix] for r in rows], np.float32)
        elif name == "face":
            li = [i for i, p in enumerate(props) if p[0] == "list"][0]
            faces = _triangulate([np.array(r[li], np.int64) for r in rows])
    if verts is None:
        raise PlyError(f"{path}: PLY has no vertices")
    return verts, (faces if faces is not None else np.zeros((0, 3), np.int64))


def _triangulate(polys) -> np.ndarray:
    tris = []
    for p in polys:
        for k in range(1, len(p) - 1):
            tris.append((p[0], p[k], p[k + 1]))
    return np.array(tris, np.int64).reshape(-1, 3)


def save_ply(path, verts, faces) -> None:
    """Write a binary little-endian PLY (float32 vertices, uchar/int triangle list)."""
    verts = np.ascontiguousarray(verts, dtype="<f4")
    faces = np.asarray(faces)
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"element vertex {len(verts)}\nproperty float x\nproperty float y\nproperty float z\n"
        f"element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    rec = np.empty(len(faces), dtype=np.dtype([("n", "u1"), ("i", "<i4", (3,))]))
    rec["n"] = 3
    rec["i"] = faces
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(verts.tobytes())
        f.write(rec.tobytes())
