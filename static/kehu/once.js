// Every form that saves is sent once. A second tap or click while the first is on its way (a slow
// connection on a phone, an impatient double click) is ignored, so a customer, an order or a visit
// is not saved twice. The form can be sent again when the browser comes back to the page from its
// cache, or after a while without an answer (a download, a dropped connection). A form a page's
// own script holds back (to check it, or to read the phone's position first) is not counted as
// sent. The server checks everything again: this only spares it the second request.
(function () {
  "use strict";
  var RETRY_AFTER_MS = 10000;
  var sent = new WeakMap();

  function saving(event) {
    var form = event.target;
    return form instanceof HTMLFormElement && (form.getAttribute("method") || "").toLowerCase() === "post" ? form : null;
  }

  // first of all handlers: a form sent a moment ago goes no further
  document.addEventListener("submit", function (event) {
    var form = saving(event);
    var at = form && sent.get(form);
    if (at && Date.now() - at < RETRY_AFTER_MS) {
      event.preventDefault();
      event.stopImmediatePropagation();
    } else if (at) {
      form.removeAttribute("aria-busy");  // no answer for a while: this press sends it again
    }
  }, true);

  // last of all handlers: the browser sends it now unless a script held it back
  window.addEventListener("submit", function (event) {
    var form = saving(event);
    if (form && !event.defaultPrevented) {
      sent.set(form, Date.now());
      form.setAttribute("aria-busy", "true");
    }
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[aria-busy]").forEach(function (form) {
      sent.delete(form);
      form.removeAttribute("aria-busy");
    });
  });
})();
