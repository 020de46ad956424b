// Renders every Vega-Lite specification the page holds (a <script type="application/json">
// named by the plot's data-vega-spec), with vega-embed's menu off: each plot has its data
// table and downloads beside it. No inline code, so a strict Content-Security-Policy holds:
// `ast: true` runs Vega's expressions in its interpreter (bundled in vega-embed) instead of
// compiling them with `new Function`, which the policy refuses, and the style sheets that
// vega-embed and its tooltip would add as inline <style> come as static files instead
// (vendor/vega/vega-embed.css and vega-tooltip.css, written by `make static`).
(function () {
  "use strict";
  function render() {
    if (typeof window.vegaEmbed !== "function") return;
    document.querySelectorAll("[data-vega-spec]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-vega-spec"));
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      window
        .vegaEmbed(element, spec, {
          actions: false,
          renderer: "svg",
          ast: true,
          defaultStyle: false,
          tooltip: { disableDefaultStyle: true },
        })
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
