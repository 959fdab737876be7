// Swagger UI over the service's own document; its files come with the service (no network needed).
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
                             defaultModelsExpandDepth: 0, tryItOutEnabled: true});
