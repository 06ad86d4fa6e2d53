#!/usr/bin/env python3
"""Assemble an offline Pyodide distribution for the JupyterLite build.

Input: the npm ``pyodide`` package (runtime and ``pyodide-lock.json``, but no
package wheels) and ``lite/browser-packages.toml``. Output, in
``OUT/static/pyodide/`` (the "well-known" place where the jupyterlite-pyodide-kernel
build addon picks Pyodide up from the lite dir):

* the runtime files (``pyodide.mjs``, ``pyodide.asm.*``, ``python_stdlib.zip``);
* every wheel the preloaded packages need, resolved from the wheels' own
  ``Requires-Dist`` (markers evaluated for Pyodide: Python 3.14, emscripten) and
  downloaded from PyPI at build time (pure wheels, or PEP 783
  ``pyemscripten_*_wasm32`` wheels such as pydantic-core), or built locally;
* the wheels byte-compiled for Python 3.14 (``lite/pycompile.mjs``, run by Node
  with Pyodide itself), unless ``[build] py-compile = false``;
* a rewritten ``pyodide-lock.json`` that lists only those wheels (version, file
  name and sha256 of the local files), so nothing points at the Pyodide CDN;

and it sets ``loadPyodideOptions.packages`` in ``OUT/jupyter-lite.json`` so that
the kernel preloads them.

Every requirement between shipped wheels is checked against the shipped version;
the build fails on a mismatch rather than shipping a broken set.

Run by ``scripts/build-lite.sh``; standalone:

    python lite/make_lock.py --pyodide-dir build/lite-cache/npm/pyodide-314.0.6 \\
        --out build/lite --cache build/lite-cache/wheels --local-wheel dist/pumpbill-*.whl
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

HERE = Path(__file__).resolve().parent
RUNTIME_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "package.json"]
LOCK = "pyodide-lock.json"
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


class LockError(RuntimeError):
    pass


@dataclass
class Wheel:
    name: str  # canonical
    version: str
    path: Path  # the file that is shipped
    requires: list[Requirement] = field(default_factory=list)
    project_name: str = ""
    imports: list[str] = field(default_factory=list)
    origin: str = ""  # where the file / version came from


def log(msg: str) -> None:
    print(f"make_lock: {msg}", flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_wheel(path: Path) -> tuple[str, list[Requirement], list[str]]:
    """Project name, requirements and top-level import names of a wheel."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode("utf-8"))
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    imports = set()
    for n in names:
        top = n.split("/", 1)[0]
        if top.endswith((".dist-info", ".data")):
            continue
        if "/" in n:
            if n.count("/") == 1 and n.endswith("/__init__.py"):
                imports.add(top)
        elif n.endswith(".py"):
            imports.add(n[:-3])
        elif n.endswith(".so"):
            imports.add(n.split(".", 1)[0])
    return meta["Name"], requires, sorted(imports)


def marker_env(lock_info: dict) -> dict[str, str]:
    """PEP 508 environment of the Pyodide interpreter described by the lock."""
    full = lock_info["python"]  # e.g. "3.14.2"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "posix",
        "platform_machine": "wasm32",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Emscripten",
        "platform_version": "",
        "python_full_version": full,
        "python_version": ".".join(full.split(".")[:2]),
        "sys_platform": "emscripten",
        "extra": "",
    }


class Resolver:
    def __init__(self, config: dict, npm_lock: dict, cache: Path, local_wheels: list[Path], offline: bool):
        self.config = config
        self.npm_lock = npm_lock
        self.lock_pkgs = {canonicalize_name(k): v for k, v in npm_lock["packages"].items()}
        self.info = npm_lock["info"]
        self.env = marker_env(self.info)
        self.cache = cache
        self.offline = offline
        self.versions = {canonicalize_name(k): v for k, v in config.get("versions", {}).items()}
        self.sources = {canonicalize_name(k): v for k, v in config.get("sources", {}).items()}
        self.sdist_env = {canonicalize_name(k): v for k, v in config.get("sdist-env", {}).items()}
        self.drop = {
            canonicalize_name(k): {canonicalize_name(d) for d in v} for k, v in config.get("drop-depends", {}).items()
        }
        self.local = {}
        for p in local_wheels:
            name, _ver, _build, _tags = parse_wheel_filename(p.name)
            self.local[canonicalize_name(name)] = p
        self.ext_pypi = kernel_extension_pypi()

    # -- versions and files ----------------------------------------------------
    def wanted_version(self, name: str) -> tuple[str | None, str]:
        """(version, where it came from) for a PyPI/sdist package."""
        v = self.versions.get(name)
        if v == "venv":
            try:
                return importlib.metadata.version(name), "venv"
            except importlib.metadata.PackageNotFoundError as e:
                raise LockError(f"{name}: version 'venv' but {name} is not installed in {sys.prefix}") from e
        if v:
            return v, "pinned"
        if name in self.lock_pkgs:
            return self.lock_pkgs[name]["version"], "pyodide-lock"
        try:
            return importlib.metadata.version(name), "venv (not in lock)"
        except importlib.metadata.PackageNotFoundError:
            return None, ""

    def obtain_all(self, names: list[str]) -> dict[str, tuple[Path, str]]:
        """Wheel path and version origin for each name; PyPI downloads in one pip call."""
        got: dict[str, tuple[Path, str]] = {}
        to_download: dict[str, str] = {}
        for name in names:
            source = self.sources.get(name, "pypi")
            if source == "kernel-extension":
                got[name] = (self.from_kernel_extension(name), source)
                continue
            if source == "local":
                if name not in self.local:
                    raise LockError(f"{name}: source 'local' but no --local-wheel given for it")
                got[name] = (self.local[name], source)
                continue
            version, origin = self.wanted_version(name)
            if version is None:
                raise LockError(f"{name}: no version (not in Pyodide's lock nor installed); add it to [versions]")
            cached = self.find_cached(name, version)
            if cached:
                got[name] = (cached, origin)
            elif self.offline:
                raise LockError(f"{name}=={version}: not in the wheel cache {self.cache} and --offline given")
            elif source == "sdist-pure":
                got[name] = (self.build_pure(name, version), origin)
            elif source == "pypi":
                to_download[name] = version
                got[name] = (Path(), origin)
            else:
                raise LockError(f"{name}: unknown source {source!r}")
        if to_download:
            self.download(to_download)
            for name, version in to_download.items():
                found = self.find_cached(name, version)
                if not found:
                    raise LockError(f"{name}=={version}: pip download gave no Pyodide-compatible wheel")
                got[name] = (found, got[name][1])
        return got

    def from_kernel_extension(self, name: str) -> Path:
        """A wheel shipped by jupyterlite-pyodide-kernel: the [versions] one, else the newest."""
        version = self.versions.get(name)
        found = [p for p in self.ext_pypi.glob("*.whl") if canonicalize_name(parse_wheel_filename(p.name)[0]) == name]
        if version:
            found = [p for p in found if parse_wheel_filename(p.name)[1] == Version(version)]
        if not found:
            raise LockError(f"{name} {version or ''}: not in {self.ext_pypi}")
        return max(found, key=lambda p: parse_wheel_filename(p.name)[1])

    def find_cached(self, name: str, version: str) -> Path | None:
        for p in self.cache.glob("*.whl"):
            n, v, _b, tags = parse_wheel_filename(p.name)
            if canonicalize_name(n) == name and v == Version(version) and self.compatible(tags):
                return p
        return None

    def compatible(self, tags) -> bool:
        plat = f"pyemscripten_{self.info['abi_version']}_{self.info['arch']}"
        return any(t.platform in ("any", plat) for t in tags)

    def download(self, wanted: dict[str, str]) -> None:
        py = self.env["python_version"]
        specs = [f"{n}=={v}" for n, v in sorted(wanted.items())]
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            f"pyemscripten_{self.info['abi_version']}_{self.info['arch']}",
            "--python-version",
            py,
            "--implementation",
            "cp",
            "--abi",
            f"cp{py.replace('.', '')}",
            "--abi",
            "abi3",
            "--abi",
            "none",
            "-d",
            str(self.cache),
            *specs,
        ]
        log(f"download from PyPI: {' '.join(specs)}")
        run(cmd)

    def build_pure(self, name: str, version: str) -> Path:
        env = {**os.environ, **{k: str(v) for k, v in self.sdist_env.get(name, {}).items()}}
        with tempfile.TemporaryDirectory() as tmp:
            log(f"build pure-Python wheel {name}=={version} from the sdist")
            run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "wheel",
                    "--quiet",
                    "--no-deps",
                    "--no-cache-dir",
                    "--no-binary",
                    name,
                    "-w",
                    tmp,
                    f"{name}=={version}",
                ],
                env=env,
            )
            (built,) = Path(tmp).glob("*.whl")
            tags = parse_wheel_filename(built.name)[3]
            if not all(t.platform == "any" and t.abi == "none" for t in tags):
                raise LockError(f"{name}: the sdist build gave {built.name}, not a pure wheel")
            dest = self.cache / built.name
            shutil.copy2(built, dest)
            return dest

    # -- resolution ------------------------------------------------------------
    def resolve(self, roots: list[str]) -> dict[str, Wheel]:
        shipped: dict[str, Wheel] = {}
        edges: list[tuple[str, Requirement]] = []
        level = list(dict.fromkeys(canonicalize_name(r) for r in roots))
        while level:  # breadth first, one pip download per level
            nxt: list[str] = []
            for name, (path, origin) in self.obtain_all(level).items():
                wname, wver, _b, _t = parse_wheel_filename(path.name)
                if canonicalize_name(wname) != name:
                    raise LockError(f"{name}: got a wheel for {wname}")
                project, requires, imports = read_wheel(path)
                deps = []
                for req in requires:
                    if req.marker and not req.marker.evaluate(self.env):
                        continue
                    dep = canonicalize_name(req.name)
                    if dep in self.drop.get(name, set()):
                        continue
                    deps.append(req)
                    edges.append((name, req))
                    if dep not in shipped and dep not in level and dep not in nxt:
                        nxt.append(dep)
                shipped[name] = Wheel(name, str(wver), path, deps, project, imports, origin)
            level = nxt
        bad = []
        for parent, req in edges:
            got = shipped[canonicalize_name(req.name)].version
            if not req.specifier.contains(got, prereleases=True):
                bad.append(f"{parent} requires {req}, shipping {req.name} {got}")
        if bad:
            raise LockError("inconsistent set:\n  " + "\n  ".join(bad))
        return shipped


def kernel_extension_pypi() -> Path:
    return Path(sys.prefix, "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/static/pypi")


def run(cmd: list[str], env: dict | None = None) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise LockError(f"command failed ({proc.returncode}): {' '.join(cmd)}")


def cache_busting_name(path: Path, digest: str) -> str:
    """A wheel file name that changes with the content (build tag "0x" + sha256 prefix).

    Pyodide checks each wheel's sha256 against the lock: a stale copy of a
    same-named wheel in a browser or proxy cache would stop the kernel from
    starting. Used for every wheel whose content is not PyPI's (byte-compiled, or
    built from this repository, whose version does not change on every edit).
    """
    name, version, _build, _tags = parse_wheel_filename(path.name)
    tag = "-".join(path.name[: -len(".whl")].split("-")[-3:])  # e.g. py2.py3-none-any, as is
    return f"{name.replace('-', '_')}-{version}-0x{digest[:12]}-{tag}.whl"


def compile_wheels(
    shipped: dict[str, Wheel], keep_source: set[str], pyodide_dir: Path, cache: Path, node: str
) -> dict[str, Path]:
    """Byte-compiled copies of the wheels (lite/pycompile.mjs: Pyodide's Python under Node).

    Packages in keep_source keep their .py (plus __pycache__); the others get
    sourceless .pyc files instead, like Pyodide's own distribution. Cached by the
    input's sha256 and the layout, which the output name carries as a build tag.
    """
    cache.mkdir(parents=True, exist_ok=True)
    result: dict[str, Path] = {}
    todo: list[str] = []
    for name, w in shipped.items():
        mode = "keep" if name in keep_source else "drop"
        out = cache / cache_busting_name(w.path, hashlib.sha256(f"{mode}:{sha256(w.path)}".encode()).hexdigest())
        result[name] = out
        if not out.exists():
            todo += [mode, str(w.path), f"{out}.tmp"]
    if todo:
        log(f"byte-compiling {len(todo) // 3} wheels with Pyodide's Python (Node)")
        proc = subprocess.run(
            [shutil.which(node) or node, str(HERE / "pycompile.mjs"), str(pyodide_dir), *todo],
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise LockError("lite/pycompile.mjs failed")
        for tmp in todo[2::3]:
            Path(tmp).rename(tmp[: -len(".tmp")])
    for stale in set(cache.glob("*.whl")) - set(result.values()):  # e.g. older pumpbill builds
        stale.unlink()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=HERE / "browser-packages.toml")
    ap.add_argument("--pyodide-dir", type=Path, required=True, help="the unpacked npm pyodide package")
    ap.add_argument("--out", type=Path, required=True, help="the JupyterLite lite dir to fill")
    ap.add_argument("--cache", type=Path, required=True, help="wheel download cache")
    ap.add_argument("--local-wheel", type=Path, action="append", default=[])
    ap.add_argument("--offline", action="store_true", help="use the wheel cache only")
    ap.add_argument("--node", default="node", help="Node.js, to byte-compile the wheels")
    args = ap.parse_args(argv)

    config = tomllib.loads(args.config.read_text(encoding="utf-8"))
    npm_pkg = json.loads((args.pyodide_dir / "package.json").read_text())
    want = config["pyodide"]["version"]
    if npm_pkg["version"] != want:
        raise LockError(f"npm pyodide is {npm_pkg['version']}, {args.config.name} wants {want}")
    try:
        from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION
    except ImportError as e:
        raise LockError("jupyterlite-pyodide-kernel is not installed in this Python") from e
    if PYODIDE_VERSION != want:
        raise LockError(f"jupyterlite-pyodide-kernel expects Pyodide {PYODIDE_VERSION}, config has {want}")

    npm_lock = json.loads((args.pyodide_dir / LOCK).read_text())
    args.cache.mkdir(parents=True, exist_ok=True)
    resolver = Resolver(config, npm_lock, args.cache, args.local_wheel, args.offline)
    preload = [canonicalize_name(p) for p in config["preload"]["packages"]]
    shipped = resolver.resolve(preload)
    compiled: dict[str, Path] = {}
    build = config.get("build", {})
    if build.get("py-compile", True):
        keep = {canonicalize_name(n) for n in build.get("keep-source", [])}
        compiled = compile_wheels(shipped, keep, args.pyodide_dir, args.cache.parent / "wheels-pyc", args.node)

    dest = args.out / "static" / "pyodide"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in RUNTIME_FILES:
        shutil.copy2(args.pyodide_dir / f, dest / f)

    packages = {}
    log(f"  {'package':24} {'version':10} {'file from':16} {'version from':18} {'size':>10}")
    for name in sorted(shipped):
        w = shipped[name]
        src = compiled.get(name, w.path)
        digest = sha256(src)
        file_name = src.name
        if name not in compiled and resolver.sources.get(name) == "local":
            file_name = cache_busting_name(src, digest)
        shutil.copy2(src, dest / file_name)
        old = resolver.lock_pkgs.get(name, {})
        packages[name] = {
            "name": old.get("name", w.project_name),
            "version": w.version,
            "file_name": file_name,
            "install_dir": "site",
            "sha256": digest,
            "package_type": "package",
            "imports": old.get("imports") or w.imports,
            "depends": sorted(canonicalize_name(r.name) for r in w.requires),
            "unvendored_tests": False,
        }
        changed = "" if not old or old.get("version") == w.version else f"  (Pyodide lock had {old['version']})"
        kind = resolver.sources.get(name, "pypi")
        log(f"  {name:24} {w.version:10} {kind:16} {w.origin:18} {src.stat().st_size / 1024:6.0f} KiB{changed}")
    lock = {"info": npm_lock["info"], "packages": packages}
    (dest / LOCK).write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    # jupyter-lite.json: preload the packages (the kernel skips its own piplite
    # installs of those it finds in this list)
    jl = args.out / "jupyter-lite.json"
    data = json.loads(jl.read_text()) if jl.exists() else {"jupyter-lite-schema-version": 0, "jupyter-config-data": {}}
    plugins = data.setdefault("jupyter-config-data", {}).setdefault("litePluginSettings", {})
    settings = plugins.setdefault(KERNEL_PLUGIN, {})
    settings.setdefault("loadPyodideOptions", {})["packages"] = preload
    jl.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    size = sum(p.stat().st_size for p in dest.iterdir())
    log(f"{len(packages)} wheels + Pyodide {want} runtime in {dest} ({size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except LockError as e:
        sys.stderr.write(f"make_lock: error: {e}\n")
        sys.exit(1)
