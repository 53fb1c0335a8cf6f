// Asks before a destructive form is sent: a dialog in place of the server's confirmation page.
// Progressive enhancement only: without this file the server answers with that page.
(function () {
  "use strict";
  var dialog = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
    var text = document.createElement("p");
    text.id = "confirm-dialog-text";
    var form = document.createElement("form");
    form.method = "dialog";
    form.className = "confirm-actions";
    var yes = document.createElement("button");
    yes.value = "yes";
    yes.className = "button-danger";
    yes.textContent = "Yes, go ahead";
    var no = document.createElement("button");
    no.value = "no";
    no.className = "button-secondary";
    no.textContent = "No, go back";
    form.appendChild(yes);
    form.appendChild(no);
    dialog.appendChild(text);
    dialog.appendChild(form);
    document.body.appendChild(dialog);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-confirm") || typeof HTMLDialogElement !== "function") {
      return;
    }
    event.preventDefault();
    if (!dialog) {
      build();
    }
    dialog.querySelector("p").textContent = form.getAttribute("data-confirm");
    dialog.returnValue = "";
    dialog.onclose = function () {
      if (dialog.returnValue !== "yes") {
        return;
      }
      var confirm = form.querySelector("input[name=confirm]");
      if (!confirm) {
        confirm = document.createElement("input");
        confirm.type = "hidden";
        confirm.name = "confirm";
        form.appendChild(confirm);
      }
      confirm.value = "yes";
      form.submit();
    };
    dialog.showModal();
    dialog.querySelector("button[value=no]").focus();
  });
})();
