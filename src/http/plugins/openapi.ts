/** The OpenAPI document at /openapi.json and browsable docs at /docs, both generated from the route schemas. */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export const openapiPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'profile-visitors',
          description:
            'Who viewed my profile, as a service. Native API under /v1; drop-in Networked, LinkupAPI and ConnectSafely endpoints.',
          version: '0.1.0',
        },
        components: {
          securitySchemes: {
            apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
            bearer: { type: 'http', scheme: 'bearer' },
          },
        },
        security: [{ apiKey: [] }, { bearer: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);
