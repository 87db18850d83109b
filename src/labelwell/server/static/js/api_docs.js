// Swagger UI on the API's OpenAPI schema (/docs), from the vendored bundle.
// No validator badge: it would send the schema to another host.
window.ui = window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
