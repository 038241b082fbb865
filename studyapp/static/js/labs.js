// Laboratory forms: the live cell next to each result (normal range, flag, CTCAE grade and
// the adverse-event prompt) as soon as a value is typed. Every rule runs on the server
// (studyapp.visits.labs, the same code the save uses); this file only asks and shows.
// The page works without it: the server renders the same cell for saved values.
(function () {
  "use strict";

  var DELAY_MS = 350;

  function part(cell, name) {
    return cell.querySelector('[data-part="' + name + '"]');
  }

  function show(element, text) {
    element.textContent = text || "";
    element.hidden = !text;
  }

  function clear(cell) {
    ["si", "flag", "grade", "message"].forEach(function (name) {
      show(part(cell, name), "");
    });
  }

  function render(cell, data) {
    show(part(cell, "range"), data.range);
    show(part(cell, "si"), data.unit !== data.si_unit ? "= " + data.si + " " + data.si_unit : "");
    var flag = part(cell, "flag");
    show(flag, data.flag_label);
    flag.className = "badge " + (data.flag === "NORMAL" ? "ok" : "warn");
    show(part(cell, "grade"), data.grade_label);
    show(part(cell, "message"), data.message);
  }

  function renderError(cell, message) {
    clear(cell);
    show(part(cell, "message"), message);
  }

  function setUp(form) {
    var url = form.getAttribute("data-preview-url");
    var dateInput = form.querySelector('input[name="lb_date"]');
    var rows = form.querySelectorAll("tr[data-testcd]");
    if (!url || !window.fetch || !window.URLSearchParams) { return; }

    function refresh(row) {
      var testcd = row.getAttribute("data-testcd");
      var value = row.querySelector("input");
      var unit = row.querySelector("select");
      var cell = row.querySelector("[data-live]");
      var text = value.value.trim();
      row.labsSeq = (row.labsSeq || 0) + 1;
      var seq = row.labsSeq;
      if (text === "") {
        clear(cell);
        return;
      }
      var query = new URLSearchParams({ testcd: testcd, value: text, unit: unit ? unit.value : "" });
      if (dateInput && dateInput.value.trim() !== "") { query.set("on", dateInput.value.trim()); }
      fetch(url + "?" + query.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        redirect: "error"
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (answer) {
        if (seq !== row.labsSeq) { return; }  // a later keystroke already asked again
        if (answer.ok) { render(cell, answer.data); } else { renderError(cell, answer.data.message); }
      }).catch(function () { /* offline or signed out: the save still checks everything */ });
    }

    function debounced(row) {
      return function () {
        window.clearTimeout(row.labsTimer);
        row.labsTimer = window.setTimeout(function () { refresh(row); }, DELAY_MS);
      };
    }

    rows.forEach(function (row) {
      var handler = debounced(row);
      row.querySelectorAll("input, select").forEach(function (control) {
        control.addEventListener("input", handler);
        control.addEventListener("change", handler);
      });
    });
    if (dateInput) {
      dateInput.addEventListener("change", function () {
        rows.forEach(function (row) { debounced(row)(); });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-preview-url]").forEach(setUp);
  });
})();
