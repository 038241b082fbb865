// studyapp: small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  enhanceDateInputs();
});

// The date boxes (studyapp.forms.IsoDateField) take YYYY-MM-DD typed by hand; the
// vendored flatpickr (static/vendor/flatpickr) adds a calendar. The server alone
// judges the text: the picker never rewrites or clears what was typed.
var ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// A Date for a real calendar day written exactly as YYYY-MM-DD, else undefined
// (2026-02-30 is not rolled over to 2026-03-02, 2026-3-4 is not read as 2026-03-04).
function parseIsoDate(text) {
  var match = ISO_DATE.exec(String(text).trim());
  if (!match) { return undefined; }
  var year = Number(match[1]), month = Number(match[2]) - 1, day = Number(match[3]);
  var date = new Date(2000, 0, 1);
  date.setFullYear(year, month, day);
  date.setHours(0, 0, 0, 0);
  if (date.getFullYear() !== year || date.getMonth() !== month || date.getDate() !== day) {
    return undefined;
  }
  return date;
}

function enhanceDateInputs() {
  var flatpickr = window.flatpickr;
  if (typeof flatpickr !== "function") { return; }
  var zh = document.documentElement.lang.toLowerCase().indexOf("zh") === 0 &&
    flatpickr.l10ns && flatpickr.l10ns.zh;
  // Until the user clicks or types, a focus comes from autofocus or a script: the
  // calendar then stays shut rather than cover the form as the page opens.
  var userActed = false;
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () { userActed = true; }, true);
  });
  document.querySelectorAll("input[data-datepicker]").forEach(function (input) {
    var picker = null;
    // Bound before flatpickr, so these run before its own listeners on the box.
    input.addEventListener("focus", function (event) {
      if (!userActed) { event.stopImmediatePropagation(); }
    });
    // Enter submits the form as in a plain text box: flatpickr's own Enter handler would
    // parse the text and blur the box, and a blurred box gets no implicit submission.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && picker) {
        picker.close();
        event.stopImmediatePropagation();
      }
    });
    picker = flatpickr(input, {
      allowInput: true,
      dateFormat: "Y-m-d",
      locale: zh || "default",
      disableMobile: true,
      clickOpens: true,
      parseDate: parseIsoDate
    });
    // flatpickr re-reads the typed text on blur, on a click outside the calendar and on
    // Enter, through picker.setDate: text that is not a real YYYY-MM-DD date would be
    // cleared (2026-02-30, 14/03/2026). Leave it as typed so the server's message shows.
    var setDate = picker.setDate;
    picker.setDate = function (date, triggerChange, format) {
      if (typeof date === "string" && date.trim() !== "" && !parseIsoDate(date)) {
        return undefined;
      }
      return setDate.call(picker, date, triggerChange, format);
    };
    // A complete entry (typed or pasted) closes the calendar, so it never covers the
    // fields and buttons below while the user goes on with the keyboard.
    input.addEventListener("input", function () {
      if (input.value.trim().length < 10) { return; }
      if (parseIsoDate(input.value)) { picker.setDate(input.value.trim(), false); }
      picker.close();
    });
  });
}
