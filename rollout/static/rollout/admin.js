// The admin's searchable court filter: typing narrows the (scrolling) list of courts; the links still
// carry the filter, so nothing here decides what a user may see (the server scopes the choices).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-court-filter]").forEach(function (box) {
    var items = box.parentElement.querySelectorAll("ul.court-filter li");
    var selected = box.parentElement.querySelector("ul.court-filter li.selected");
    if (selected) { selected.scrollIntoView({block: "nearest"}); }
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      items.forEach(function (item) {
        var text = item.textContent.toLowerCase();
        item.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
      });
    });
  });
});

// A choice that shows another view (e.g. the readiness of a notice preview) applies on change; the
// form's own button does the same without script (no inline handlers: the CSP forbids them).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});

// Accessible names for what Django's own admin widgets leave unnamed, applied when they appear (some
// are built by Django's scripts after load):
// - a control in a table cell (an editable list, a tabular inline) is named by its column and row;
// - a search-as-you-type picker (Select2) is named by its field's label;
// - the filter boxes' help icons get role="img", on which an aria-label is allowed.
(function () {
  function columnName(cell) {
    var table = cell.closest("table");
    var row = cell.parentElement;
    if (!table || !row) { return ""; }
    var index = Array.prototype.indexOf.call(row.children, cell);
    var header = table.querySelector("thead tr");
    var th = header ? header.children[index] : null;
    var column = th ? th.textContent.trim() : "";
    var first = row.querySelector("th, td.original p, td.field-court, td.field-court_label");
    var what = first && first !== cell ? first.textContent.trim().split("\n")[0].trim() : "";
    return what ? column + " (" + what + ")" : column;
  }
  function hasLabel(control) {
    if (control.getAttribute("aria-label") || control.getAttribute("aria-labelledby")) { return true; }
    return control.id && document.querySelector('label[for="' + control.id + '"]');
  }
  function name(root) {
    root.querySelectorAll("td input:not([type=hidden]), td select, td textarea").forEach(function (control) {
      if (hasLabel(control)) { return; }
      var label = columnName(control.closest("td"));
      if (label) { control.setAttribute("aria-label", label); }
    });
    root.querySelectorAll(".select2-selection[role=combobox]").forEach(function (box) {
      var container = box.closest(".select2-container");
      var select = container && container.previousElementSibling;
      if (!select || select.tagName !== "SELECT") { return; }
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      var shown = box.getAttribute("aria-labelledby") || "";
      if (label) {
        // The field's label, then the choice shown: "Court: District of Montana".
        label.id = label.id || select.id + "-label";
        if (shown.split(" ").indexOf(label.id) === -1) { box.setAttribute("aria-labelledby", (label.id + " " + shown).trim()); }
        var rendered = box.querySelector(".select2-selection__rendered[role=textbox]");
        if (rendered) { rendered.setAttribute("aria-labelledby", label.id); }
      } else if (select.getAttribute("aria-label")) {
        box.setAttribute("aria-label", select.getAttribute("aria-label"));
      }
    });
    root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    name(document);
    new MutationObserver(function () { name(document); }).observe(document.body, {childList: true, subtree: true});
  });
})();
