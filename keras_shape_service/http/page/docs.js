// Swagger UI over the service's own document; its files come with the service (no network needed). No
// validator badge: it is an image from validator.swagger.io, which the page's policy (and the offline promise)
// refuses.
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
                             defaultModelsExpandDepth: 0, tryItOutEnabled: true, validatorUrl: null});
