// Propose a topic: ask before a section's template replaces what was typed.
// Without JavaScript the server asks instead (tick "Replace my text with the template").
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.proposal-form");
    if (!form) { return; }
    var load = form.querySelector("button[name=load_template]");
    var replace = form.querySelector("input[name=replace_text]");
    var body = form.querySelector("textarea[name=body]");
    if (!load || !replace || !body) { return; }
    load.addEventListener("click", function (event) {
      if (replace.checked || body.value.trim() === "") { return; }
      if (window.confirm("Replace your text with this section's template? What you wrote in the text box will be lost.")) {
        replace.checked = true;
      } else {
        event.preventDefault();
      }
    });
  });
})();
