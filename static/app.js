// mesoledger: a small helper script. Every page works without it; it only makes things
// quicker: the scan field gets the focus, a chosen cocktail fills the items at once, and a
// form cannot be sent twice by a double tap.
(function () {
  "use strict";
  var scan = document.getElementById("scan");
  if (scan && !document.querySelector(".field-error, .alert")) {
    scan.focus();
  }
  // Choosing a cocktail fills the items at once (without the script: press Check).
  var cocktail = document.getElementById("formulation_id");
  var check = document.querySelector("button[name=action][value=check]");
  if (cocktail && check && cocktail.form && cocktail.form.requestSubmit) {
    cocktail.addEventListener("change", function () {
      cocktail.form.requestSubmit(check);
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
