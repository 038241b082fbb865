// Vital signs form: the line under the weight as it is typed. A change from the reference
// weight of the protocol's threshold or more says whether the dose will be re-based; a typed
// value that is not a number says so, naming the field. The rule and the words are the
// server's (studyapp.visits.vitals, the same the save uses); this file only asks and shows.
// The page works without it: the save asks to confirm the same warning.
(function () {
  "use strict";

  var DELAY_MS = 350;

  function setUp(line) {
    var url = line.getAttribute("data-weight-check");
    var input = document.querySelector('input[name="weight"]');
    if (!url || !input || !window.fetch || !window.URLSearchParams) { return; }
    var seq = 0;
    var timer = null;

    function show(text) {
      line.textContent = text || "";
      line.hidden = !text;
    }

    function refresh() {
      var text = input.value.trim();
      seq += 1;
      var mine = seq;
      if (text === "") { show(""); return; }
      fetch(url + "?" + new URLSearchParams({ weight: text }).toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        redirect: "error"
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (mine === seq) { show(data.message); }
      }).catch(function () { /* offline or signed out: the save still checks everything */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    });
    // A page answered with the server's warning beside the field already says it.
    var field = input.closest(".field");
    var told = field && field.classList.contains("has-warning");
    if (input.value.trim() !== "" && !told) { refresh(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-weight-check]").forEach(setUp);
  });
})();
