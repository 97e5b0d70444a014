// Drag-and-drop (and move buttons) on top of the plain rank-number ballot.
// The numbers stay the truth that is submitted: reordering rewrites them.
(function () {
  "use strict";

  function field(item) { return item.querySelector("input[type=number]"); }

  function enhance(list) {
    var items = Array.prototype.slice.call(list.querySelectorAll(".ballot-item"));
    var divider = document.createElement("li");
    divider.className = "ballot-divider";
    divider.setAttribute("aria-hidden", "true");
    divider.textContent = "Unranked: drag topics above this line to rank them";
    var firstUnranked = null;
    items.forEach(function (item) { if (!firstUnranked && !field(item).value) { firstUnranked = item; } });
    list.insertBefore(divider, firstUnranked);
    list.classList.add("js-ballot");
    var dragged = null;
    var moved = [];

    function renumber() {
      var below = false, position = 0, previous = null, rank = 0;
      Array.prototype.forEach.call(list.children, function (item) {
        if (item === divider) { below = true; return; }
        var input = field(item);
        if (below) { input.value = ""; item.dataset.was = ""; return; }
        position += 1;
        // Keep a tie only between neighbours that were tied and were not moved.
        var tied = previous && item.dataset.was !== "" && item.dataset.was === previous.dataset.was &&
          moved.indexOf(item) < 0 && moved.indexOf(previous) < 0;
        rank = tied ? rank : position;
        input.value = String(rank);
        previous = item;
      });
      Array.prototype.forEach.call(list.children, function (item) {
        if (item !== divider) { item.dataset.was = field(item).value; }
      });
      moved = [];
    }

    function move(item, before) {
      moved.push(item);
      list.insertBefore(item, before);
      renumber();
    }

    items.forEach(function (item) {
      item.dataset.was = field(item).value;
      item.draggable = true;
      var label = item.querySelector("label").textContent;
      var controls = document.createElement("span");
      controls.className = "ballot-controls";
      [["↑", "up"], ["↓", "down"]].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = spec[0];
        button.setAttribute("aria-label", "Move " + label + " " + spec[1]);
        button.addEventListener("click", function () {
          if (spec[1] === "up" && item.previousElementSibling) {
            move(item, item.previousElementSibling);
          } else if (spec[1] === "down" && item.nextElementSibling) {
            move(item, item.nextElementSibling.nextElementSibling);
          }
          button.focus();
        });
        controls.appendChild(button);
      });
      item.appendChild(controls);
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        item.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset.topic);
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("dragging");
        dragged = null;
      });
      field(item).addEventListener("change", function () { item.dataset.was = field(item).value; });
    });

    function targetOf(event) {
      var target = event.target.closest ? event.target.closest("li") : null;
      return target && target.parentNode === list ? target : null;
    }
    list.addEventListener("dragover", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      Array.prototype.forEach.call(list.children, function (li) { li.classList.remove("drop-target"); });
      var target = targetOf(event);
      if (target && target !== dragged) { target.classList.add("drop-target"); }
    });
    list.addEventListener("drop", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      var target = targetOf(event);
      Array.prototype.forEach.call(list.children, function (li) { li.classList.remove("drop-target"); });
      if (!target || target === dragged) { return; }
      var box = target.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      move(dragged, after ? target.nextElementSibling : target);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector("[data-ballot]");
    if (list) { enhance(list); }
  });
})();
