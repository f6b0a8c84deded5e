// Page behaviour shared by every screen: CSRF for htmx, pickers, and select-all in lists.
document.body.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector("meta[name=csrf-token]");
  if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
});

function gxInit(root) {
  root.querySelectorAll("select[data-gx-picker]").forEach(function (el) {
    if (el.tomselect || typeof TomSelect === "undefined") { return; }
    new TomSelect(el, { plugins: el.multiple ? ["remove_button"] : [], maxOptions: 200,
                        allowEmptyOption: true });
  });
  root.querySelectorAll("input[data-gx-date]").forEach(function (el) {
    if (el._flatpickr || typeof flatpickr === "undefined") { return; }
    var lang = document.documentElement.lang || "zh-hans";
    flatpickr(el, { locale: lang.indexOf("zh") === 0 ? "zh" : "default", allowInput: true,
                    enableTime: el.dataset.gxDate === "datetime", time_24hr: true,
                    dateFormat: el.dataset.gxDate === "datetime" ? "Y-m-d H:i" : "Y-m-d" });
  });
  root.querySelectorAll("[data-gx-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name=" + box.dataset.gxSelectAll + "]").forEach(function (c) {
        c.checked = box.checked; c.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { gxInit(document); });
document.body.addEventListener("htmx:load", function (event) { gxInit(event.detail.elt); });
