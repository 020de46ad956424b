// Renders every Vega-Lite specification the page holds (a <script type="application/json">
// named by the plot's data-vega-spec), with vega-embed's menu off: each plot has its data
// table and downloads beside it. No inline code, so a strict Content-Security-Policy holds.
(function () {
  "use strict";
  function render() {
    if (typeof window.vegaEmbed !== "function") return;
    document.querySelectorAll("[data-vega-spec]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-vega-spec"));
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      window
        .vegaEmbed(element, spec, { actions: false, renderer: "svg" })
        .then(function () {
          element.setAttribute("data-rendered", "true");
        })
        .catch(function (error) {
          element.setAttribute("data-rendered", "failed");
          if (window.console) window.console.error(error);
        });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
