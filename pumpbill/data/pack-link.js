/* pumpbill course-pack links: a book page with a live exercise widget reads ?pack=ADDRESS from its own
 * URL. An address that is not on this site (a scheme, //host, a backslash, a control character, or one
 * that resolves to another origin) is refused with a message on the page. Otherwise a button opens the
 * page's live block, and the live block's code, exercise_picker(mode="..."), receives pack=ADDRESS and
 * page_url=location.href (Python checks and fetches the pack again: pumpbill.exercises.pack).
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
  const live = () => document.querySelector(".jupyterlite_sphinx_iframe_container[onclick*='repl/index.html']");
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
  box.append(b, "Your link opens this pack in the live version of the widget (Python starts in your browser; the first start takes a while). ", button);
  let wrapped = false;
  function wrap() {
    if (wrapped || typeof window.jupyterliteConcatSearchParams !== "function") return;
    wrapped = true;
    const orig = window.jupyterliteConcatSearchParams;
    window.jupyterliteConcatSearchParams = (src, params) => {
      const out = orig(src, params);
      const url = new URL(out, window.location.href);
      const code = url.searchParams.get("code");
      if (!code || !code.includes(mark)) return out;
      url.searchParams.set("code", code.replace(mark, mark + ", pack=" + JSON.stringify(ref) + ", page_url=" + JSON.stringify(window.location.href)));
      return url.href;
    };
  }
  document.addEventListener("click", (ev) => { if (ev.target.closest && ev.target.closest(".jupyterlite_sphinx_iframe_container")) wrap(); }, true);
  button.addEventListener("click", () => {
    const c = live();
    if (!c) return;
    wrap();
    const prompt = c.querySelector(".jupyterlite_sphinx_try_it_button") || c;
    prompt.click();
    c.scrollIntoView({ behavior: "smooth", block: "start" });
    button.disabled = true;
  });
})();
