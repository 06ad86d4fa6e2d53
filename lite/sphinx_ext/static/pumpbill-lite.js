/* Status line for the JupyterLite frames of jupyterlite-sphinx (replite,
 * notebooklite, jupyterlite directives): shows what is loading and for how long
 * while Pyodide starts in the browser, then "ready". Added by
 * lite/sphinx_ext/pumpbill_lite.py to pages that have such a frame.
 * It only reads the frame's DOM (same origin); it changes nothing in it. */
(() => {
  "use strict";
  const FRAMES = "iframe.jupyterlite_sphinx_iframe, iframe.jupyterlite_sphinx_raw_iframe";
  const SLOW_AFTER_S = 120;

  function stageOf(iframe) {
    let doc = null;
    try {
      doc = iframe.contentDocument;
    } catch (e) {
      return { stage: "loading" };
    }
    if (!doc || !doc.querySelector(".jp-CodeConsole, .jp-Notebook")) {
      return { stage: "loading" };
    }
    if (doc.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) {
      return { stage: "error" };
    }
    if (doc.querySelector(".jp-CodeConsole")) {
      // REPL: ready when the code given to the directive has run (an output, or a numbered prompt)
      const ran =
        doc.querySelector(".jp-CodeConsole .jp-OutputArea-output") ||
        Array.from(doc.querySelectorAll(".jp-CodeConsole .jp-InputPrompt")).some((p) => /\[\d+\]/.test(p.textContent));
      return { stage: ran ? "ready" : "kernel" };
    }
    // Notebook: ready when the kernel reports idle
    const idle = doc.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"], .jp-KernelStatus-success');
    return { stage: idle ? "ready-notebook" : "kernel" };
  }

  const TEXT = {
    loading: "Loading the notebook app…",
    kernel: "Starting Python in your browser (Pyodide) and loading pumpbill, pydantic and ipywidgets…",
    error: "Python reported an error: see the output below.",
    ready: "Live: this widget runs in Python in your browser.",
    "ready-notebook": "Python is ready in your browser: run the cells (Run ▸ Run All Cells).",
  };

  function attach(iframe) {
    if (iframe.dataset.pumpbillLite) return;
    iframe.dataset.pumpbillLite = "1";
    const box = document.createElement("div");
    box.className = "pumpbill-lite-status";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    const bar = document.createElement("progress");
    bar.setAttribute("aria-label", "Starting Python");
    const msg = document.createElement("span");
    msg.className = "pumpbill-lite-status-text";
    const clock = document.createElement("span");
    clock.className = "pumpbill-lite-status-time";
    box.append(bar, msg, clock);
    const anchor = iframe.closest(".jupyterlite_sphinx_iframe_container") || iframe;
    anchor.parentNode.insertBefore(box, anchor);

    const t0 = performance.now();
    let last = "";
    const tick = () => {
      const s = Math.round((performance.now() - t0) / 1000);
      const { stage } = stageOf(iframe);
      const done = stage.startsWith("ready") || stage === "error";
      box.dataset.stage = stage;
      if (stage !== last) {
        msg.textContent = TEXT[stage];
        last = stage;
      }
      if (done) {
        bar.hidden = true;
        clock.textContent = stage === "error" ? "" : `(started in ${s} s)`;
        clearInterval(timer);
        return;
      }
      clock.textContent =
        s >= SLOW_AFTER_S ? `${s} s: slower than usual; reload the page if nothing happens.` : `${s} s`;
    };
    const timer = setInterval(tick, 500);
    tick();
  }

  function scan() {
    document.querySelectorAll(FRAMES).forEach(attach);
  }
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  scan();
})();
