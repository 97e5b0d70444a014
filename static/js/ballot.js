// Drag-and-drop (mouse, touch and pen) and move buttons (keyboard) on top of the plain
// rank-number ballot. The numbers stay the truth that is submitted: reordering rewrites
// them, and a live region tells screen readers where a topic went.
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
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    list.parentNode.insertBefore(status, list.nextSibling);
    var dragged = null;
    var moved = [];

    function announce(item) {
      var name = item.querySelector("label").textContent;
      var rank = field(item).value;
      var ranked = list.querySelectorAll(".ballot-item").length -
        list.querySelectorAll(".ballot-divider ~ .ballot-item").length;
      status.textContent = rank ?
        name + " moved to rank " + rank + " of " + ranked + "." :
        name + " moved below the line: unranked.";
    }

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
      if (before === item) { return; }
      moved.push(item);
      list.insertBefore(item, before);
      renumber();
      announce(item);
    }

    items.forEach(function (item) {
      item.dataset.was = field(item).value;
      item.draggable = true;
      var label = item.querySelector("label").textContent;
      var controls = document.createElement("span");
      controls.className = "ballot-controls";
      // Touch and pen drag by this handle (the page scrolls everywhere else); a mouse drags the row.
      var handle = document.createElement("span");
      handle.className = "ballot-handle";
      handle.setAttribute("aria-hidden", "true");
      handle.textContent = "⠿";
      handle.addEventListener("pointerdown", function (event) {
        if (event.pointerType === "mouse") { return; }
        event.preventDefault();
        var pointer = event.pointerId;
        item.classList.add("dragging");
        // Listen on the document: moving the row re-inserts the handle, which drops a capture.
        var onMove = function (moveEvent) {
          if (moveEvent.pointerId !== pointer) { return; }
          var under = document.elementFromPoint(moveEvent.clientX, moveEvent.clientY);
          var target = under && under.closest ? under.closest("li") : null;
          if (!target || target.parentNode !== list || target === item) { return; }
          var box = target.getBoundingClientRect();
          var before = moveEvent.clientY > box.top + box.height / 2 ? target.nextElementSibling : target;
          if (before !== item && before !== item.nextElementSibling) {
            moved.push(item);
            list.insertBefore(item, before);
          }
        };
        var onEnd = function (endEvent) {
          if (endEvent.pointerId !== pointer) { return; }
          item.classList.remove("dragging");
          document.removeEventListener("pointermove", onMove);
          document.removeEventListener("pointerup", onEnd);
          document.removeEventListener("pointercancel", onEnd);
          moved.push(item);
          renumber();
          announce(item);
        };
        document.addEventListener("pointermove", onMove);
        document.addEventListener("pointerup", onEnd);
        document.addEventListener("pointercancel", onEnd);
      });
      item.insertBefore(handle, item.firstChild);
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
