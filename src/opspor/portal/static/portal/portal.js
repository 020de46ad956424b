/* Keeps what a patient types in a preparation form in this browser tab until the practice's
   server has it, so a dropped connection or a reload loses nothing.
   sessionStorage, not localStorage: it goes when the tab is closed, so what was typed is not
   left behind on a shared computer. A draft is forgotten only when the next page says it was
   saved (a success message after the form was sent). */
(function () {
  "use strict";
  var store;
  try {
    store = window.sessionStorage;
    store.getItem("opspor:probe");
  } catch (e) {
    return; // storage blocked: the server-side draft is all there is
  }
  var PREFIX = "opspor:draft:";
  var SUBMITTED = "opspor:submitted";
  var SKIP = { csrfmiddlewaretoken: true, action: true, token: true };

  var submitted = store.getItem(SUBMITTED);
  if (submitted) {
    if (document.querySelector('[data-testid="flash"].alert-success')) {
      store.removeItem(PREFIX + submitted);
    }
    store.removeItem(SUBMITTED);
  }

  function read(key) {
    try {
      var value = JSON.parse(store.getItem(key) || "null");
      return value && typeof value === "object" ? value : null;
    } catch (e) {
      return null;
    }
  }

  function restore(form, saved) {
    var restored = false;
    Object.keys(saved).forEach(function (name) {
      var value = String(saved[name]);
      form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (field) {
        if (field.type === "radio" || field.type === "checkbox") {
          var want = field.value === value;
          if (field.checked !== want && want) {
            field.checked = true;
            restored = true;
          }
        } else if (field.type !== "hidden" && field.value !== value) {
          field.value = value;
          restored = true;
        }
      });
    });
    return restored;
  }

  function notice(form) {
    var text = form.getAttribute("data-kept-text");
    if (!text) return;
    var note = document.createElement("p");
    note.className = "kept-draft";
    note.setAttribute("role", "status");
    note.setAttribute("data-testid", "kept-draft");
    note.textContent = text;
    form.insertBefore(note, form.firstChild);
  }

  document.querySelectorAll("form[data-keep-draft]").forEach(function (form) {
    var name = form.getAttribute("data-keep-draft");
    var key = PREFIX + name;
    var saved = read(key);
    if (saved && restore(form, saved)) notice(form);
    function save() {
      var data = {};
      new FormData(form).forEach(function (value, field) {
        if (!SKIP[field] && typeof value === "string") data[field] = value;
      });
      store.setItem(key, JSON.stringify(data));
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () {
      save();
      store.setItem(SUBMITTED, name);
    });
  });
})();
