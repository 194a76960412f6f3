// Mounts the API reference (GET /docs) on the OpenAPI document this worker serves. No telemetry, no remote fonts.
(function () {
  var app = document.getElementById("app");
  window.Scalar.createApiReference(app, {
    url: app.getAttribute("data-openapi-url"),
    telemetry: false,
    withDefaultFonts: false,
  });
})();
