// The book's live Python: Pyodide in a web worker, with only the wheels the widgets need.
// Started by pumpbill-live.js; speaks JSON strings with it (see pumpbill/live.py for the messages).
// Everything comes from the site itself: the Pyodide folder the JupyterLite build serves.
let handle = null;
const backlog = [];

function post(message) {
  self.postMessage(typeof message === "string" ? message : JSON.stringify(message));
}

async function start({ pyodide: base, packages }) {
  const t0 = performance.now();
  const lockResponse = fetch(base + "pyodide-lock.json").then((r) => {
    if (!r.ok) throw new Error(`pyodide-lock.json: HTTP ${r.status}`);
    return r.json();
  });
  const { loadPyodide } = await import(base + "pyodide.mjs");
  const lock = await lockResponse;
  const wheels = packages.map((name) => {
    const entry = lock.packages[name];
    if (!entry) throw new Error(`${name} is not in the site's Pyodide lock`);
    return base + entry.file_name;
  });
  // Warm the HTTP cache while the runtime compiles (loadPackage then reads from it).
  const early = wheels.map((url) => fetch(url).then((r) => r.arrayBuffer()).catch(() => null));
  const py = await loadPyodide({ indexURL: base, lockFileURL: base + "pyodide-lock.json", fullStdLib: false });
  post({ type: "status", stage: "runtime", ms: performance.now() - t0 });
  await Promise.all(early);
  // By URL: no dependency resolution, so ipywidgets' IPython dependency stays out.
  await py.loadPackage(wheels, { messageCallback: () => {}, errorCallback: (m) => post({ type: "log", text: m }) });
  post({ type: "status", stage: "packages", ms: performance.now() - t0 });
  py.globals.set("_pumpbill_post", (s) => self.postMessage(s));
  handle = py.runPython(`
import pumpbill.live as _live
_live.install(_pumpbill_post)
import pumpbill.widgets  # noqa: F401  (the widgets' imports, before the first cell)
_ns = {"__name__": "__main__"}
lambda raw, buffers=None: _live.handle(raw, _ns, [b.to_py() for b in buffers] if buffers else ())
`);
  post({ type: "ready", ms: performance.now() - t0 });
  while (backlog.length) dispatch(backlog.shift());
}

// A page message: a JSON string, or {json, buffers} when a state has binary parts (a file upload).
function dispatch(data) {
  if (typeof data === "object" && data && "json" in data) handle(data.json, data.buffers);
  else handle(data);
}

self.onmessage = (event) => {
  const data = event.data;
  if (typeof data === "object" && data && data.type === "init") {
    start(data).catch((error) => post({ type: "failed", text: String((error && error.message) || error).slice(0, 300) }));
    return;
  }
  if (handle) {
    try {
      dispatch(data);
    } catch (error) {
      post({ type: "failed", text: String((error && error.message) || error).slice(0, 300) });
    }
  } else backlog.push(data);
};
