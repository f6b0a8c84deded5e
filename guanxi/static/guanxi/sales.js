// Sales pages: drag and drop on the kanban board, the products editor, and the charts.
// The pages also work without it (each card has a "move to" form; charts have tables).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  function showMessage(text, kind) {
    var box = document.getElementById("gx-messages");
    if (!box || !text) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-" + kind + " alert-dismissible";
    alert.setAttribute("role", "alert");
    alert.dataset.testid = "message";
    alert.textContent = text;
    var close = document.createElement("a");
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "×");
    close.addEventListener("click", function () { alert.remove(); });
    alert.appendChild(close);
    box.replaceChildren(alert);
  }

  var money = new Intl.NumberFormat(document.documentElement.lang || "zh-hans", {
    minimumFractionDigits: 2, maximumFractionDigits: 2
  });

  // --- the board ---------------------------------------------------------------------------
  function columnOf(list) { return list.closest("[data-column]"); }

  function adjustColumn(list, countDelta, amountDelta) {
    var column = columnOf(list);
    if (!column) { return; }
    var count = column.querySelector("[data-count]");
    var sum = column.querySelector("[data-sum]");
    var newCount = parseInt(count.textContent, 10) + countDelta;
    var newSum = parseFloat(sum.dataset.raw || sum.textContent.replace(/[^0-9.\-]/g, "")) + amountDelta;
    count.textContent = String(newCount);
    sum.dataset.raw = String(newSum);
    sum.textContent = money.format(newSum);
  }

  function snapBack(evt) {
    var reference = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, reference);
  }

  function askLostReason() {
    var dialog = document.getElementById("gx-lost-dialog");
    return new Promise(function (resolve) {
      if (!dialog || typeof dialog.showModal !== "function") { resolve({}); return; }
      dialog.returnValue = "";
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        if (dialog.returnValue !== "ok") { resolve(null); return; }
        resolve({
          reason: dialog.querySelector("[name=reason]").value,
          note: dialog.querySelector("[name=note]").value
        });
      });
      dialog.showModal();
    });
  }

  function move(evt, extra) {
    var item = evt.item;
    var body = new URLSearchParams();
    body.set("stage", evt.to.dataset.stage);
    body.set("version", item.dataset.version);
    Object.keys(extra || {}).forEach(function (key) { body.set(key, extra[key]); });
    item.classList.add("gx-saving");
    return fetch(item.dataset.moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": csrfToken(),
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: body.toString()
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      item.classList.remove("gx-saving");
      if (result.data.ok) {
        var amount = parseFloat(item.dataset.amount || "0");
        item.dataset.version = result.data.version;
        var select = item.querySelector(".gx-move-form select");
        if (select) { select.value = String(result.data.stage); }
        item.querySelectorAll(".gx-move-form [name=version]").forEach(function (el) {
          el.value = result.data.version;
        });
        adjustColumn(evt.from, -1, -amount);
        adjustColumn(evt.to, 1, amount);
        showMessage(result.data.message, "success");
      } else {
        snapBack(evt);
        showMessage(result.data.message, "danger");
        if (result.status === 409) { window.setTimeout(function () { window.location.reload(); }, 1500); }
      }
    }).catch(function () {
      item.classList.remove("gx-saving");
      snapBack(evt);
      var board = document.querySelector("[data-gx-board]");
      showMessage(board ? board.dataset.networkError : "", "danger");
    });
  }

  function initBoard() {
    var board = document.querySelector("[data-gx-board]");
    if (!board || typeof Sortable === "undefined") { return; }
    board.classList.add("gx-board-js");
    board.querySelectorAll("[data-gx-cards]").forEach(function (list) {
      Sortable.create(list, {
        group: "deals",
        draggable: ".gx-deal-card",
        filter: "select, button, input, textarea",
        preventOnFilter: false,
        animation: 150,
        // On a touch screen a short press starts the drag, so the board still scrolls.
        delay: 180,
        delayOnTouchOnly: true,
        touchStartThreshold: 6,
        forceFallback: false,
        scroll: true,
        bubbleScroll: true,
        ghostClass: "gx-ghost",
        chosenClass: "gx-chosen",
        onEnd: function (evt) {
          if (evt.from === evt.to) { return; }
          if (evt.to.dataset.lost === "1") {
            askLostReason().then(function (extra) {
              if (extra === null) { snapBack(evt); return; }
              move(evt, extra);
            });
          } else {
            move(evt, {});
          }
        }
      });
    });
  }

  // --- products on a deal ------------------------------------------------------------------
  function initLineItems() {
    document.querySelectorAll("[data-gx-add-line]").forEach(function (button) {
      button.addEventListener("click", function () {
        var body = button.closest("form").querySelector("[data-gx-line-items]");
        var rows = body.querySelectorAll(".gx-line-item");
        var template = rows[rows.length - 1];
        var copy = template.cloneNode(true);
        copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        copy.querySelectorAll("select").forEach(function (select) { select.value = ""; });
        copy.lastElementChild.textContent = "";
        body.appendChild(copy);
      });
    });
  }

  // --- charts ------------------------------------------------------------------------------
  function readData(el) {
    var source = document.getElementById(el.dataset.source);
    return source ? JSON.parse(source.textContent) : null;
  }

  function funnelOption(data) {
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        name: data.labels.reached,
        type: "funnel",
        sort: "none",
        left: "5%", width: "90%", top: 10, bottom: 10,
        minSize: "8%",
        label: { show: true, position: "inside", formatter: "{b}\n{c}" },
        data: data.stages.map(function (name, i) { return { name: name, value: data.reached[i] }; })
      }]
    };
  }

  function forecastOption(data) {
    return {
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.weighted, data.labels.won, data.labels.target] },
      grid: { left: 10, right: 10, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value" },
      series: [
        { name: data.labels.weighted, type: "bar", stack: "total", data: data.weighted },
        { name: data.labels.won, type: "bar", stack: "total", data: data.won },
        { name: data.labels.target, type: "line", data: data.target, connectNulls: false }
      ]
    };
  }

  function initCharts() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-gx-chart]").forEach(function (el) {
      var data = readData(el);
      if (!data) { return; }
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(el.dataset.gxChart === "funnel" ? funnelOption(data) : forecastOption(data));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  initBoard();
  initLineItems();
  initCharts();
})();
