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
