// The 360° page: inline forms that come back with errors, tabs named in the address (#contacts).
(function () {
  // An inline form answers 422 (invalid input) or 409 (changed meanwhile) with itself, to show.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function tabLink(name) {
    return document.querySelector('.gx-tabs [data-bs-toggle="tab"][href="#' + name + '"]');
  }
  function show(name) {
    var link = tabLink(name);
    if (link && window.tabler && window.tabler.Tab) { window.tabler.Tab.getOrCreateInstance(link).show(); }
  }
  if (location.hash) { show(location.hash.slice(1)); }
  document.addEventListener("shown.bs.tab", function (event) {
    var href = event.target.getAttribute("href");
    if (href && href.charAt(0) === "#") { history.replaceState(null, "", href); }
  });
  // A "From the timeline" link in the files tab jumps to the entry in the timeline tab.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-gx-jump]");
    if (!link) { return; }
    var entry = document.querySelector(link.getAttribute("href"));
    if (!entry) { return; }
    event.preventDefault();
    show("timeline");
    entry.scrollIntoView({ behavior: "smooth", block: "center" });
  });
})();
