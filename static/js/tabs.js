// A link to a content tab (#__tabbed_1_2) selects that tab. CSS already shows it
// without JavaScript (until the reader picks another tab); here the tab is
// checked for good, a collapsed block holding it is opened, and links followed
// on the same page work too.
(function () {
  "use strict";
  document.documentElement.classList.add("js-tabs");

  function selectLinkedTab() {
    var id;
    try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
    if (id.indexOf("__tabbed_") !== 0) { return; }
    var input = document.getElementById(id);
    if (!input || input.type !== "radio") { return; }
    input.checked = true;
    for (var node = input.parentNode; node; node = node.parentNode) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    input.parentNode.scrollIntoView();
  }

  window.addEventListener("hashchange", selectLinkedTab);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", selectLinkedTab);
  } else {
    selectLinkedTab();
  }
})();
