// Starts Swagger UI on /api/v1/docs (a file, not an inline script: the CSP allows only 'self').
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  // eslint-disable-next-line no-undef
  SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // the public validator is another site: nothing leaves this one
    defaultModelsExpandDepth: 0,
  });
})();
