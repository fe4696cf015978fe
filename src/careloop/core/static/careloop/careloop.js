/* CareLoop: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.className += (root.className ? " " : "") + "js";

  // A <select data-autosubmit> submits its form on change (the language switch).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.tagName === "SELECT" && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
})();
