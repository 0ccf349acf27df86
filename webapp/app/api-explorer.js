// The API explorer: Swagger UI over the server's own OpenAPI document. "Authorize" takes the bearer token;
// the dashboard's token (this tab's sessionStorage) is offered there already.
window.addEventListener("load", () => {
  const ui = window.SwaggerUIBundle({
    url: "/openapi?format=json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
  const token = sessionStorage.getItem("orchestrator.token");
  if (token) {
    ui.preauthorizeApiKey("bearer", token);
  }
});
