// Keyboard shortcuts for the moderation queues: j/k move between cards, a approves, r rejects.
// Progressive enhancement only: every action is an ordinary form that works without this file.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll(".mod-card"));
  if (!cards.length) {
    return;
  }
  var current = -1;

  function isTextEntry(element) {
    if (!element || !element.tagName) {
      return false;
    }
    var tag = element.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || element.isContentEditable) {
      return true;
    }
    return tag === "input" && !/^(checkbox|radio|submit|button|hidden)$/i.test(element.type);
  }

  function select(index) {
    if (index < 0 || index >= cards.length) {
      return;
    }
    if (current >= 0) {
      cards[current].classList.remove("mod-current");
    }
    current = index;
    cards[current].classList.add("mod-current");
    cards[current].focus();
    cards[current].scrollIntoView({ block: "nearest" });
  }

  function submit(form, button) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(button || undefined);
    } else if (button) {
      button.click();
    } else {
      form.submit();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || isTextEntry(event.target)) {
      return;
    }
    var inside = event.target.closest ? event.target.closest(".mod-card") : null;
    if (inside && cards.indexOf(inside) !== current) {
      select(cards.indexOf(inside));
    }
    var card = current >= 0 ? cards[current] : null;
    switch (event.key) {
      case "j":
        select(current + 1);
        break;
      case "k":
        select(Math.max(current - 1, 0));
        break;
      case "a": {
        var approve = card && card.querySelector("form.mod-approve");
        if (!approve) {
          return;
        }
        submit(approve);
        break;
      }
      case "r": {
        var reject = card && card.querySelector("form.mod-reject");
        if (!reject) {
          return;
        }
        var reason = reject.querySelector("select[name=reason]");
        if (!reason.value) {
          reason.focus(); // a reason is required: choose it, then press Reject (or r again)
        } else {
          submit(reject, reject.querySelector("button[value=reject]"));
        }
        break;
      }
      default:
        return;
    }
    event.preventDefault();
  });
})();
