/* pumpbill-site.js (book/_ext/pumpbill_site.py): small fixes to the theme and Sphinx search.
 * Loaded with `defer` on every page: after searchtools.js, before its DOMContentLoaded init. */
(function () {
  "use strict";

  /* Search: Sphinx's searchtools.js drops every all-digit query term, and CPT codes
   * (62369, 95990) are all digits. Let terms of 3+ digits through; shorter ones (the
   * "1" of Z45.1) stay out, as they would match almost every page. */
  function letDigitCodesThrough() {
    if (typeof Search === "undefined" || typeof Search._parseQuery !== "function") return;
    if (Search._pumpbillDigits) return;
    var parse = Search._parseQuery;
    var split = typeof splitQuery === "function" ? splitQuery : function (q) { return q.split(/\W+/); };
    Search._parseQuery = function (query) {
      var parsed = parse(query);
      split(String(query).trim()).forEach(function (term) {
        if (/^\d{3,}$/.test(term)) {
          parsed[1].add(term); // searchTerms
          parsed[3].add(term); // highlightTerms
        }
      });
      return parsed;
    };
    Search._pumpbillDigits = true;
    // Sphinx builds each hit's summary with querySelector('[role="main"] ' + anchor): an anchor with a
    // dot (the glossary's #term-Z45.1) is not a valid selector and throws, so escape it first.
    var toText = Search.htmlToText;
    if (typeof toText === "function" && window.CSS && CSS.escape) {
      Search.htmlToText = function (html, anchor) {
        var safe = anchor && anchor.charAt(0) === "#" ? "#" + CSS.escape(anchor.slice(1)) : anchor;
        return toText.call(this, html, safe);
      };
    }
  }

  /* Sidebars: pydata-sphinx-theme binds its open-the-dialog handler to the FIRST
   * .primary-toggle/.secondary-toggle only (a navbar icon sphinx-book-theme hides);
   * the visible article-header buttons have no handler. Forward their clicks (and so
   * Enter/Space) to the first one, which also keeps the wide-screen collapse. */
  function forwardSidebarToggles() {
    [
      [".primary-toggle", "Site navigation"],
      [".secondary-toggle", "Page contents"],
    ].forEach(function (pair) {
      var all = Array.prototype.slice.call(document.querySelectorAll(pair[0]));
      var first = all[0];
      all.forEach(function (btn) {
        btn.setAttribute("aria-label", pair[1]);
        btn.setAttribute("aria-haspopup", "dialog");
        if (btn === first) return;
        btn.addEventListener("click", function (event) {
          event.preventDefault();
          event.stopPropagation();
          first.click();
        });
      });
    });
  }

  /* Accessible names the theme gets wrong (axe: label-content-name-mismatch, summary-name). */
  function fixNames() {
    // "Search Ctrl+K" buttons labelled "Search": let the visible text be the name.
    document.querySelectorAll("button.search-button-field[aria-label]").forEach(function (b) {
      b.removeAttribute("aria-label");
    });
    // "Show code cell source" summaries labelled "Toggle hidden content".
    document.querySelectorAll("details.hide > summary[aria-label]").forEach(function (s) {
      if (s.textContent.trim()) s.removeAttribute("aria-label");
    });
    // Table-of-contents expanders: an icon-only <summary> next to the chapter link.
    document.querySelectorAll("nav details > summary").forEach(function (s) {
      if (s.textContent.trim() || s.getAttribute("aria-label")) return;
      var link = s.parentElement && s.parentElement.previousElementSibling;
      var title = link && link.textContent.trim();
      s.setAttribute("aria-label", title ? "Pages under " + title : "Sub-pages");
    });
    // The colour-mode switch: its icons' titles ("Light", "Dark") count as visible text
    // that its name "Color mode" lacks. Make the icons pure decoration.
    document.querySelectorAll(".theme-switch-button").forEach(quietIcons);
  }
  function quietIcons(button) {
    button.querySelectorAll("title").forEach(function (t) { t.remove(); });
    button.querySelectorAll("i, svg").forEach(function (icon) {
      icon.removeAttribute("title");
      icon.removeAttribute("aria-labelledby");
      icon.removeAttribute("role");
      icon.setAttribute("aria-hidden", "true");
    });
    if (!button._pbQuiet) {
      // Font Awesome swaps each <i> for an <svg> when it gets to it: redo after a swap.
      button._pbQuiet = new MutationObserver(function () { quietIcons(button); });
      button._pbQuiet.observe(button, { childList: true, subtree: true });
    }
  }

  /* Wide tables in cell and widget output scroll in their own box (CSS); one that does
   * overflow gets a keyboard stop and a class for the visible scroll cue. */
  var TABLES = ".cell_output table, .widget-html-content table, .jupyter-widgets table, .pb-scroll";
  // A table can start to overflow with no resize or DOM change (a web font arriving, a theme switch):
  // watch each table's own size too.
  // Marking is synchronous after a DOM change and a font event: a frame callback never runs in a tab
  // that is not painting, and a check such as axe, or a reader's first Tab, must never find a
  // scrolling table without its stop. After a resize it is deferred (scheduleMark): marking toggles
  // the scroll hint, which changes the table's size inside the observer's own callback (a "ResizeObserver
  // loop" error).
  var sizes = window.ResizeObserver ? new ResizeObserver(function () { scheduleMark(); }) : null;
  function markScrollables() {
    document.querySelectorAll(TABLES).forEach(function (t) {
      if (sizes && !t._pbWatched) {
        t._pbWatched = true;
        sizes.observe(t);
      }
      var scrolls = t.scrollWidth > t.clientWidth + 1;
      t.classList.toggle("pb-scrolls", scrolls);
      if (scrolls && !t.hasAttribute("tabindex")) {
        t.setAttribute("tabindex", "0");
        t.setAttribute("data-pb-tabstop", "");
      } else if (!scrolls && t.hasAttribute("data-pb-tabstop")) {
        t.removeAttribute("tabindex");
        t.removeAttribute("data-pb-tabstop");
      }
    });
  }
  var pending = false;
  function scheduleMark() {
    if (pending) return;
    pending = true;
    var run = function () {
      if (!pending) return;
      pending = false;
      markScrollables();
    };
    window.requestAnimationFrame(run);
    window.setTimeout(run, 100); // the frame callback never comes in a tab that is not painting
  }

  letDigitCodesThrough();
  function ready() {
    letDigitCodesThrough();
    forwardSidebarToggles();
    fixNames();
    markScrollables();
    window.addEventListener("resize", scheduleMark);
    window.addEventListener("load", function () {
      fixNames(); // Font Awesome may have swapped the icons after the first pass
      markScrollables();
    });
    if (document.fonts) {
      if (document.fonts.ready) document.fonts.ready.then(markScrollables);
      if (document.fonts.addEventListener) document.fonts.addEventListener("loadingdone", markScrollables);
    }
    var main = document.querySelector("main") || document.body;
    // Mutation callbacks run as microtasks, before any other task can look at the new table.
    new MutationObserver(markScrollables).observe(main, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
