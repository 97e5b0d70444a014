// The reader's saved theme, applied before the page is drawn: base.html loads this file
// in <head> without defer (the CSP forbids inline scripts), so a saved dark choice never
// flashes light first. Pages follow the system setting without it. The button's label
// ("…, now light" or "now dark") follows the theme through CSS alone.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = window.localStorage.getItem("kb-theme"); } catch (e) { /* storage disabled */ }
  if (saved === "light" || saved === "dark") { root.setAttribute("data-theme", saved); }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".theme-toggle");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var current = root.getAttribute("data-theme") ||
        (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
      var next = current === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { window.localStorage.setItem("kb-theme", next); } catch (e) { /* storage disabled */ }
    });
  });
})();
