// mesoledger: a small helper script. Every page works without it; it only makes things
// quicker: the scan field gets the focus, a cocktail picked with the pointer fills the items
// at once, and a form cannot be sent twice by a double tap.
(function () {
  "use strict";
  // After a refused submit the summary of what to fix takes the focus (it links to each
  // field); otherwise the scan field does, ready for the scanner.
  var summary = document.getElementById("error-summary");
  var scan = document.getElementById("scan");
  if (summary) {
    summary.focus();
  } else if (scan && !document.querySelector(".field-error, .alert")) {
    scan.focus();
  }
  // Choosing a cocktail with the pointer fills the items at once. With the keyboard the
  // arrows change the choice as they move, so nothing is sent: the next Check or Log
  // fills the items from the new cocktail first (as it does without the script).
  var cocktail = document.getElementById("formulation_id");
  var check = document.querySelector("button[name=action][value=check]");
  if (cocktail && check && cocktail.form && cocktail.form.requestSubmit) {
    var byPointer = false;
    cocktail.addEventListener("pointerdown", function () { byPointer = true; });
    cocktail.addEventListener("keydown", function () { byPointer = false; });
    cocktail.addEventListener("change", function () {
      if (byPointer) {
        cocktail.form.requestSubmit(check);
      }
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (form.dataset.sent === "1") {
        return;
      }
      form.dataset.sent = "1";
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();
