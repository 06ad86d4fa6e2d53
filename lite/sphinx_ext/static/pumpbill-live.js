/* Live widgets in place (lite/sphinx_ext/pumpbill_live.py).
 *
 * A widget cell's static snapshot shows the executed default case only, so until Python runs it is
 * locked: its controls are disabled (its text stays readable) and a bar on the widget says "Snapshot".
 * Python (Pyodide, in a web worker) starts by itself when the page opens, unless the reader turned that
 * off; when it is ready, the page's own cell runs again and the live widget replaces the snapshot in place,
 * rendered by the same @jupyter-widgets/html-manager. While Python is working on a change the answer is
 * dimmed and the bar says "Updating…"; if Python stops or a message cannot be handled, the live widget is
 * removed and the locked snapshot comes back with a message: a widget never shows an answer that does not
 * match its inputs.
 *
 * State for tests and benchmarks: each cell's data-live ("snapshot", "starting", "live", "failed") and
 * window.pumpbillLive (pending messages; times in ms since navigation start: t0 when this script ran,
 * the worker's stages, readyMs, liveMs per widget).
 */
(() => {
  "use strict";
  const me = document.currentScript;
  const SITE = new URL("../", me.src); // this file is <site>/_static/pumpbill-live.js
  const PYODIDE = new URL(me.dataset.pyodide || "lite/static/pyodide/", SITE).href;
  const PACKAGES = (me.dataset.packages || "").split(/\s+/).filter(Boolean);
  const WORKER = new URL("pumpbill-live-worker.mjs", me.src).href;
  const AUTO_KEY = "pumpbill-live-autostart";
  const VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';
  const CONTROLS = "input, select, textarea, button";
  const BUSY_AFTER_MS = 150;

  const live = (window.pumpbillLive = {
    state: "snapshot", t0: performance.now(), readyMs: null, liveMs: [], pending: 0, stages: {},
  });

  function stored(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }
  function store(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      /* private mode: the choice lasts for this page only */
    }
  }
  const autostart = () => (stored(AUTO_KEY) ?? me.dataset.autostart ?? "true") !== "false";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    node.append(...children);
    return node;
  }

  // -- the snapshot: locked until the live widget replaces it ----------------------------------
  function lockControls(root) {
    root.querySelectorAll(CONTROLS).forEach((c) => {
      if (c.closest(".pb-live-widget")) return;
      c.disabled = true;
      c.setAttribute("aria-disabled", "true");
    });
  }

  function setUp(cell) {
    const output = cell.querySelector(".cell_output");
    if (!output) return null;
    const badge = el("span", { class: "pb-live-badge" }, "Snapshot");
    const msg = el("span", { class: "pb-live-msg" });
    // the status region changes with the stage only; the seconds counter sits outside it
    const status = el("span", { class: "pb-live-status", role: "status", "aria-live": "polite" }, badge, " ", msg);
    const clock = el("span", { class: "pb-live-clock", "aria-hidden": "true" });
    const button = el("button", { type: "button", class: "pb-live-start" }, "Start live Python");
    const id = `pb-live-auto-${cells.indexOf(cell) + 1}`;
    const auto = el("input", { type: "checkbox", id });
    auto.checked = autostart();
    const autoLabel = el("label", { for: id, class: "pb-live-auto" }, auto, " Start Python automatically on pages with widgets");
    const bar = el("div", { class: "pb-live-bar", tabindex: "-1" }, status, clock, button, autoLabel);
    cell.insertBefore(bar, output);
    output.classList.add("pb-live-output");
    // the snapshot is drawn after page load by the embed manager: lock whatever it draws
    lockControls(output);
    const observer = new MutationObserver(() => lockControls(output));
    observer.observe(output, { childList: true, subtree: true });
    button.addEventListener("click", () => {
      bar.focus(); // the button hides itself: keep the keyboard where it was
      startPython();
    });
    auto.addEventListener("change", () => {
      store(AUTO_KEY, auto.checked ? "true" : "false");
      document.querySelectorAll(".pb-live-auto input").forEach((box) => (box.checked = auto.checked));
    });
    // the cell's code is read when Python is ready: a course-pack link (pumpbill/data/pack-link.js) adds
    // its arguments to it first
    const code = () => JSON.parse(cell.querySelector('script[type="text/x-pumpbill-cell"]').textContent);
    return { cell, output, bar, badge, msg, clock, button, code, observer, holder: null, snapshot: [] };
  }

  const cells = Array.from(document.querySelectorAll(".pb-live-cell"));
  const widgets = cells.map(setUp).filter(Boolean);

  function show(w, state, text) {
    w.cell.dataset.live = state;
    w.badge.textContent = state === "live" ? "Live" : "Snapshot";
    w.msg.textContent = text;
    w.clock.textContent = "";
    // "Try again" only when Python itself stopped (a new worker can start); not for one failed cell
    w.button.hidden = !(state === "snapshot" || (state === "failed" && !worker));
    w.button.textContent = state === "failed" ? "Try again" : "Start live Python";
    w.output.classList.toggle("pb-live-locked", state !== "live");
  }

  const SNAPSHOT_TEXT =
    "Snapshot of the default case, computed when the book was built: the controls unlock when Python runs in your browser.";
  widgets.forEach((w) => show(w, "snapshot", SNAPSHOT_TEXT));

  // -- Python in a worker ----------------------------------------------------------------------
  let worker = null;
  let clock = null;
  let manager = null;
  let comms = new Map();
  let callbacks = new Map();
  let runs = new Map();
  let seq = 0;

  function send(message, buffers) {
    if (!worker) return;
    if (buffers && buffers.length) {
      // binary parts of a state (a file upload's content) travel as copies, beside the JSON
      const copies = buffers.map((b) => new Uint8Array(b.buffer || b, b.byteOffset || 0, b.byteLength).slice());
      worker.postMessage({ json: JSON.stringify(message), buffers: copies }, copies.map((c) => c.buffer));
    } else worker.postMessage(JSON.stringify(message));
  }

  class PageComm {
    constructor(commId, targetName) {
      this.comm_id = commId;
      this.target_name = targetName;
      this.onMsg = null;
      this.onClose = null;
      this.queue = []; // messages that arrive before the model has registered its handler
    }
    on_msg(cb) {
      this.onMsg = cb;
      this.queue.splice(0).forEach((m) => deliver(this, m));
    }
    on_close(cb) {
      this.onClose = cb;
    }
    open() {
      return "";
    }
    close() {
      return "";
    }
    send(data, cbs, metadata, buffers) {
      const id = ++seq;
      callbacks.set(id, cbs);
      busy(+1);
      send({ type: "comm_msg", id, comm_id: this.comm_id, data }, buffers);
      return String(id);
    }
  }

  function deliver(comm, m) {
    if (!comm.onMsg) {
      comm.queue.push(m);
      return;
    }
    Promise.resolve(comm.onMsg({ content: { comm_id: m.comm_id, data: m.data }, metadata: m.metadata, buffers: [] }))
      .catch((error) => fail(`a widget update could not be shown: ${error}`));
  }

  let busyTimer = null;
  function busy(delta) {
    live.pending = delta === null ? 0 : Math.max(0, live.pending + delta);
    if (live.pending > 0 && !busyTimer) {
      busyTimer = setTimeout(() => {
        if (live.pending > 0) widgets.forEach((w) => w.cell.classList.add("pb-live-busy"));
      }, BUSY_AFTER_MS);
    }
    if (live.pending === 0) {
      clearTimeout(busyTimer);
      busyTimer = null;
      widgets.forEach((w) => w.cell.classList.remove("pb-live-busy"));
    }
  }

  function managerReady() {
    return new Promise((resolve, reject) => {
      if (!window.require) return reject(new Error("the widget renderer did not load"));
      window.require(
        ["@jupyter-widgets/html-manager"],
        (hm) => {
          class LiveManager extends hm.HTMLManager {
            _create_comm() {
              return Promise.reject(new Error("widgets are created by Python"));
            }
            _get_comm_info() {
              return Promise.resolve({});
            }
          }
          resolve(new LiveManager());
        },
        reject,
      );
    });
  }

  /* Python stopped, or the page could not follow it: no live widget may stay on screen. */
  function fail(text) {
    if (live.state === "failed") return;
    clearInterval(clock);
    live.state = "failed";
    if (worker) worker.terminate();
    worker = null;
    manager = null;
    comms = new Map();
    callbacks = new Map();
    runs.forEach((done) => done({ error: text }));
    runs = new Map();
    busy(null); // nothing is pending any more: Python is gone
    widgets.forEach((w) => {
      if (w.holder) {
        w.holder.remove();
        w.holder = null;
        w.output.append(...w.snapshot);
        w.snapshot = [];
      }
      show(w, "failed", `Live Python stopped (${text}). The snapshot shows the default case only.`);
    });
  }

  function onMessage(event) {
    try {
      handleMessage(JSON.parse(event.data));
    } catch (error) {
      fail(`the page could not follow Python: ${error}`);
    }
  }

  function handleMessage(m) {
    switch (m.type) {
      case "comm_open": {
        const comm = new PageComm(m.comm_id, m.target_name);
        comms.set(m.comm_id, comm);
        Promise.resolve(manager.handle_comm_open(comm, {
          content: { comm_id: m.comm_id, target_name: m.target_name, data: m.data },
          metadata: m.metadata,
          buffers: [],
        })).catch((error) => fail(`a widget could not be built: ${error}`));
        break;
      }
      case "comm_msg": {
        const comm = comms.get(m.comm_id);
        if (comm) deliver(comm, m);
        break;
      }
      case "comm_close": {
        const comm = comms.get(m.comm_id);
        if (comm && comm.onClose) comm.onClose({ content: { comm_id: m.comm_id, data: m.data } });
        comms.delete(m.comm_id);
        break;
      }
      case "idle": {
        const cbs = callbacks.get(m.id);
        callbacks.delete(m.id);
        busy(-1);
        if (cbs && cbs.iopub && cbs.iopub.status) cbs.iopub.status({ content: { execution_state: "idle" } });
        break;
      }
      case "status":
        live.stages[m.stage] = performance.now(); // for benchmarks/bench_live.py
        break;
      case "ready":
        live.readyMs = performance.now();
        live.stages.ready = live.readyMs;
        runCells();
        break;
      case "result": {
        const done = runs.get(m.id);
        runs.delete(m.id);
        if (done) done(m);
        break;
      }
      case "failed":
        fail(m.text);
        break;
      default:
        break;
    }
  }

  async function runCells() {
    clearInterval(clock);
    let any = false;
    for (const w of widgets) {
      if (live.state === "failed") return;
      const id = ++seq;
      const result = await new Promise((resolve) => {
        runs.set(id, resolve);
        send({ type: "run", id, code: w.code() });
      });
      if (live.state === "failed") return;
      if (result.error || !result.model_ids || !result.model_ids.length) {
        show(w, "failed", `Live Python could not build this widget (${result.error || "no widget"}). The snapshot shows the default case only.`);
        continue;
      }
      // Lumino attaches views to elements in the document only: render next to the snapshot, hidden,
      // then swap the two at once
      const holder = el("div", { class: "pb-live-widget" });
      holder.hidden = true;
      w.output.append(holder);
      try {
        const model = await manager.get_model(result.model_ids[0]);
        const view = await manager.create_view(model);
        await manager.display_view(view, holder);
      } catch (error) {
        holder.remove();
        if (live.state !== "failed") show(w, "failed", `Live Python could not show this widget (${error}).`);
        continue;
      }
      if (live.state === "failed") return;
      w.observer.disconnect();
      w.output.querySelectorAll(VIEW).forEach((n) => n.remove());
      // out of the document (one copy on the page), kept to come back if Python stops
      w.snapshot = Array.from(w.output.querySelectorAll(".widget-subarea"));
      w.snapshot.forEach((n) => n.remove());
      holder.classList.add("widget-subarea");
      holder.hidden = false;
      w.holder = holder;
      any = true;
      live.liveMs.push(performance.now());
      show(w, "live", "Live: Python runs in your browser, and the answer follows your changes. Nothing you type leaves your browser.");
    }
    live.state = any ? "live" : "failed";
  }

  async function startPython() {
    if (worker || !widgets.length) return;
    live.state = "starting";
    const started = performance.now();
    const tick = () => {
      const s = Math.round((performance.now() - started) / 1000);
      widgets.forEach((w) => w.cell.dataset.live === "starting" && (w.clock.textContent = `${s} s`));
    };
    widgets.forEach((w) => show(w, "starting", `${SNAPSHOT_TEXT} Starting Python in your browser…`));
    tick();
    clock = setInterval(tick, 1000);
    const early = window.__pumpbillEarly; // started from the <head> (pumpbill_live.EARLY_START)
    window.__pumpbillEarly = undefined;
    const waiting = early ? early.messages : [];
    try {
      if (early) worker = early.worker;
      else {
        // the worker first: it downloads and compiles while the page sets up the renderer
        worker = new Worker(WORKER, { type: "module" });
        worker.onmessage = (e) => waiting.push(e); // kept until the renderer is ready
        worker.postMessage({ type: "init", pyodide: PYODIDE, packages: PACKAGES });
      }
      worker.onerror = (event) => fail(event.message || "the worker stopped");
      if (early && early.error) throw new Error(early.error);
      manager = await managerReady();
    } catch (error) {
      fail(String((error && error.message) || error));
      return;
    }
    if (!worker) return; // it failed while the renderer loaded
    worker.onmessage = onMessage;
    waiting.splice(0).forEach(onMessage); // anything it said before the renderer was ready
  }
  live.start = startPython;
  live.fail = fail; // tests: what the reader sees when Python stops

  if (widgets.length && autostart()) startPython();
})();
