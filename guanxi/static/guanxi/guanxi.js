// Page behaviour shared by every screen: CSRF for htmx, pickers, dates, confirmations and the
// row selection of lists. Every page also works without it.
(function () {
  "use strict";

  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
  });

  function isZh() {
    return (document.documentElement.lang || "zh-hans").toLowerCase().indexOf("zh") === 0;
  }

  // Selection of rows (checkboxes named data-gx-select-all) and the buttons that need one.
  function updateSelection(name) {
    var boxes = document.querySelectorAll("input[type=checkbox][name='" + name + "']");
    var checked = 0;
    boxes.forEach(function (box) {
      if (box.checked) { checked += 1; }
      var row = box.closest("tr");
      if (row) { row.classList.toggle("gx-selected", box.checked); }
    });
    document.querySelectorAll("[data-gx-selected-count='" + name + "']").forEach(function (el) {
      el.textContent = checked;
    });
    document.querySelectorAll("[data-gx-needs-selection='" + name + "']").forEach(function (el) {
      el.disabled = checked === 0;
    });
    document.querySelectorAll("[data-gx-bulk-bar='" + name + "']").forEach(function (el) {
      el.classList.toggle("gx-idle", checked === 0);
    });
    document.querySelectorAll("[data-gx-select-all='" + name + "']").forEach(function (all) {
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    });
  }

  function gxInit(root) {
    root.querySelectorAll("select[data-gx-picker]").forEach(function (el) {
      if (el.tomselect || typeof TomSelect === "undefined") { return; }
      new TomSelect(el, {
        plugins: el.multiple ? ["remove_button"] : [],
        maxOptions: 200,
        allowEmptyOption: true,
        dropdownParent: el.closest(".modal, .offcanvas") ? null : "body"
      });
    });
    root.querySelectorAll("input[data-gx-date]").forEach(function (el) {
      if (el._flatpickr || typeof flatpickr === "undefined") { return; }
      var withTime = el.dataset.gxDate === "datetime";
      flatpickr(el, {
        locale: isZh() ? "zh" : "default",
        allowInput: true,
        enableTime: withTime,
        time_24hr: true,
        dateFormat: withTime ? "Y-m-d H:i" : "Y-m-d",
        disableMobile: true
      });
    });
    root.querySelectorAll("[data-gx-select-all]").forEach(function (all) {
      updateSelection(all.dataset.gxSelectAll);
    });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement) || el.type !== "checkbox") { return; }
    if (el.dataset.gxSelectAll) {
      var name = el.dataset.gxSelectAll;
      document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) {
        box.checked = el.checked;
      });
      updateSelection(name);
    } else if (el.name && document.querySelector("[data-gx-select-all='" + el.name + "']")) {
      updateSelection(el.name);
    }
  });

  // <form data-gx-confirm="Are you sure?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.dataset.gxConfirm) || (form.dataset && form.dataset.gxConfirm);
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopPropagation(); }
  }, true);

  // Copy buttons: <button data-gx-copy="#element-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-gx-copy]");
    if (!button) { return; }
    var source = document.querySelector(button.dataset.gxCopy);
    if (!source) { return; }
    var text = source.value || source.textContent;
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text.trim()).then(function () {
        button.classList.add("btn-success");
      });
    } else if (source.select) {
      source.select();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { gxInit(document); });
  document.body.addEventListener("htmx:load", function (event) { gxInit(event.detail.elt); });
  window.gxInit = gxInit;
})();
