// Byte-compile wheels for the browser, at build time, with Pyodide's own Python
// (3.14) run by Node. Saves the browser from compiling IPython, pydantic, ... at
// every kernel start (Pyodide's own distribution ships compiled wheels for the
// same reason). Two layouts:
//   keep  the .py stays, plus an unchecked-hash __pycache__/*.cpython-314.pyc
//         (tracebacks show source lines; the wheel grows);
//   drop  the .py is replaced by a sourceless module.pyc (what Pyodide does; the
//         wheel stays about as small as the original).
//
//   node lite/pycompile.mjs PYODIDE_DIR keep|drop IN.whl OUT.whl [keep|drop IN.whl OUT.whl ...]
//
// Called by lite/make_lock.py. Output is deterministic (fixed zip timestamps).
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, ...pairs] = process.argv.slice(2);
if (!pyodideDir || pairs.length === 0 || pairs.length % 3) {
  console.error("usage: node pycompile.mjs PYODIDE_DIR keep|drop IN.whl OUT.whl [...]");
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(resolve(pyodideDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: resolve(pyodideDir) + "/" });

py.runPython(`
import base64, hashlib, importlib.util, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"

def compile_wheel(src, dst, keep_source):
    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(src) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist() if not i.is_dir()]
    record = next(n for n, _ in entries if n.count("/") == 1 and n.endswith(".dist-info/RECORD"))
    existing = {n for n, _ in entries}
    added, dropped, skipped = [], set(), 0
    for name, data in entries:
        top = name.split("/", 1)[0]
        if not name.endswith(".py") or top.endswith((".dist-info", ".data")):
            continue
        try:
            code = compile(data, name, "exec", dont_inherit=True)
        except SyntaxError:
            skipped += 1  # e.g. a Python 2 file in a test folder: left as is
            continue
        if keep_source:
            head, _, base = name.rpartition("/")
            pyc_name = (head + "/" if head else "") + f"__pycache__/{base[:-3]}.{tag}.pyc"
            if pyc_name not in existing:
                added.append((pyc_name, bytes(_code_to_hash_pyc(code, importlib.util.source_hash(data), False))))
        else:
            pyc_name = name + "c"
            if pyc_name not in existing:
                added.append((pyc_name, bytes(_code_to_hash_pyc(code, importlib.util.source_hash(data), False))))
                dropped.add(name)
    out = [(n, d) for n, d in entries if n != record and n not in dropped] + added
    rec = dict(entries)[record].decode().rstrip("\\n").split("\\n")
    rec = [line for line in rec if line and line.split(",", 1)[0] not in dropped]
    rec += [_record_line(n, d) for n, d in added]
    out.append((record, ("\\n".join(rec) + "\\n").encode()))
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in out:
            info = zipfile.ZipInfo(name, date_time=(2020, 2, 2, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    return len(added), skipped
`);
const compileWheel = py.globals.get("compile_wheel");
for (let i = 0; i < pairs.length; i += 3) {
  const [mode, src, dst] = [pairs[i], pairs[i + 1], pairs[i + 2]];
  if (mode !== "keep" && mode !== "drop") throw new Error(`mode must be keep or drop, not ${mode}`);
  py.FS.writeFile("/tmp/in.whl", readFileSync(src));
  const res = compileWheel("/tmp/in.whl", "/tmp/out.whl", mode === "keep").toJs();
  writeFileSync(dst, py.FS.readFile("/tmp/out.whl"));
  console.log(`pycompile: ${src.split("/").pop()}: ${res[0]} modules${res[1] ? `, ${res[1]} not compilable` : ""}`);
}
