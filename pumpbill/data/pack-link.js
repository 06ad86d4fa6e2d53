/* pumpbill course-pack links: a book page with a live exercise widget reads ?pack=ADDRESS from its own
 * URL. An address that is not on this site (a scheme, //host, a backslash, a control character, or one
 * that resolves to another origin) is refused with a message on the page. Otherwise the page's widget
 * cell, exercise_picker(mode="..."), gets pack=ADDRESS and page_url=location.href before Python runs it
 * (the live runtime, lite/sphinx_ext/static/pumpbill-live.js, reads the cell's code only when Python is
 * ready; Python checks and fetches the pack again: pumpbill.exercises.pack), and a button starts Python.
 * Inserted by pumpbill.exercises.pack.page_script(); the box before the script carries data-mode. */
(() => {
  "use strict";
  const box = document.currentScript.previousElementSibling;
  const mode = box.dataset.mode;
  const ref = new URLSearchParams(window.location.search).get("pack");
  if (ref === null || box.dataset.ready) return;
  box.dataset.ready = "1";
  box.hidden = false;
  const mark = 'exercise_picker(mode="' + mode + '"';
  const CELLS = '.pb-live-cell script[type="text/x-pumpbill-cell"]';
  function problem(text) {
    if (!text.trim()) return "The link names no course pack.";
    if (/[\u0000-\u001f\u007f\\]/.test(text)) return "The course pack address in the link contains characters a web address cannot have.";
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) || text.startsWith("//"))
      return "The course pack address \u201c" + text + "\u201d points to another site (or is a full URL): only a pack on this site, written relative to this page (for example ?pack=packs/wk1.json), is opened.";
    let url;
    try { url = new URL(text, window.location.href); } catch (e) { return "The course pack address in the link is not a web address."; }
    if (url.origin !== window.location.origin) return "The course pack address \u201c" + text + "\u201d is not on this site.";
    return null;
  }
  const why = problem(ref);
  if (why) {
    box.dataset.state = "refused";
    box.style.borderColor = "#b00020";
    const b = document.createElement("strong");
    b.textContent = "Course pack refused. ";
    box.append(b, why + " Ask your instructor for the right link.");
    return;
  }
  box.dataset.state = "ready";
  const name = new URL(ref, window.location.href).pathname.split("/").pop();
  const b = document.createElement("strong");
  b.textContent = "Course pack: " + name + ". ";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "pumpbill-pack-open btn btn-primary";
  button.textContent = mode === "assignment" ? "Open the assignment" : "Open the exercises";
  box.append(b, "Your link opens this pack in the widget below as soon as Python runs in your browser (a few seconds). ", button);
  function handOver() {
    let cell = null;
    document.querySelectorAll(CELLS).forEach((script) => {
      const code = JSON.parse(script.textContent);
      if (!code.includes(mark) || code.includes(mark + ", pack=")) return;
      const args = ", pack=" + JSON.stringify(ref) + ", page_url=" + JSON.stringify(window.location.href);
      // a function, not a string: "$&", "$`" and "$'" in a link must stay plain text
      script.textContent = JSON.stringify(code.replace(mark, () => mark + args));
      cell = script.closest(".pb-live-cell");
    });
    if (cell) {
      cell.dataset.pack = ref;
      box.dataset.cell = "1";
    }
    return cell;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", handOver, { once: true });
  else handOver();
  button.addEventListener("click", () => {
    const cell = document.querySelector(".pb-live-cell[data-pack]") || handOver();
    if (!cell) return;
    if (window.pumpbillLive && typeof window.pumpbillLive.start === "function") window.pumpbillLive.start();
    cell.scrollIntoView({ behavior: "smooth", block: "start" });
    button.disabled = true;
  });
})();
