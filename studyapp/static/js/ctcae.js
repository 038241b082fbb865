// The CTCAE v5.0 term picker of the adverse event form: as the user types, the matching terms
// of the shipped list (server search, studyapp.safety.ctcae) fill the field's suggestions;
// choosing one shows its system organ class and the definition of each grade. The server
// checks the term on saving and renders the same text for a saved term: this file only shows.
(function () {
  "use strict";

  var DELAY_MS = 250;
  var script = document.currentScript;
  var url = script.getAttribute("data-url");
  var gradeLabel = script.getAttribute("data-grade-label");
  var gradeLabels = JSON.parse(script.getAttribute("data-grade-labels") || "{}");
  var socLabel = script.getAttribute("data-soc-label");
  var input = document.querySelector('[data-ctcae="term"]');
  var list = document.getElementById("ctcae-terms");
  var socLine = document.querySelector('[data-ctcae="soc"]');
  var grades = document.querySelector('[data-ctcae="grades"]');
  if (!input || !list) {
    return;
  }
  var known = {};
  var timer = null;

  function showTerm(term) {
    socLine.textContent = socLabel.replace("{s}", term.soc_label || term.soc);
    grades.textContent = "";
    Object.keys(term.grades).forEach(function (g) {
      var dt = document.createElement("dt");
      dt.textContent = gradeLabels[g] || gradeLabel.replace("{g}", g);
      var dd = document.createElement("dd");
      dd.textContent = term.grades[g];
      grades.appendChild(dt);
      grades.appendChild(dd);
    });
  }

  function fill(terms) {
    list.textContent = "";
    terms.forEach(function (term) {
      known[term.term.toLowerCase()] = term;
      var option = document.createElement("option");
      option.value = term.term;
      // A term found by a synonym of the shipped list says which ("nosebleed").
      var soc = term.soc_label || term.soc;
      option.label = term.synonym ? term.synonym + " · " + soc : soc;
      list.appendChild(option);
    });
    var exact = known[input.value.trim().toLowerCase()];
    if (exact) {
      showTerm(exact);
    }
  }

  function search() {
    var query = input.value.trim();
    if (query.length < 2) {
      return;
    }
    fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(fill)
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, DELAY_MS);
  });
  input.addEventListener("change", search);
  // A term typed before this script ran (a slow page) or kept on a re-rendered form.
  search();
})();
