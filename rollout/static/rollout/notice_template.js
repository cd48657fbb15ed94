// Adding a notice template: choosing a kind loads that kind's shipped default (subject, text, HTML),
// so a template never starts with another kind's words. Text the user already changed is replaced
// only after asking. The defaults come from a JSON data block on the page (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  var data = document.getElementById("notice-kind-defaults");
  var kind = document.getElementById("id_kind");
  if (!data || !kind) { return; }
  var defaults = JSON.parse(data.textContent);
  var fields = {subject: "id_subject", text_body: "id_text_body", html_body: "id_html_body"};
  var current = kind.value;
  function untouched(previous) {
    return Object.keys(fields).every(function (name) {
      var box = document.getElementById(fields[name]);
      return !box || !box.value.trim() || (previous && box.value === previous[name]);
    });
  }
  kind.addEventListener("change", function () {
    var next = defaults[kind.value];
    if (!next) { current = kind.value; return; }
    var label = kind.options[kind.selectedIndex].text;
    if (!untouched(defaults[current]) &&
        !window.confirm("Replace the subject and texts with the default of “" + label + "”?")) {
      current = kind.value;
      return;
    }
    Object.keys(fields).forEach(function (name) {
      var box = document.getElementById(fields[name]);
      if (box) { box.value = next[name]; }
    });
    current = kind.value;
  });
});
