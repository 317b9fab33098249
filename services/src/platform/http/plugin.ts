// Fastify encapsulates what a plugin registers; platform plugins (auth, errors, metrics) must
// apply to every route of the server, which is what `fastify-plugin` does by setting these two
// symbols. Writing them here avoids another dependency for two lines.
import type { FastifyPluginAsync } from 'fastify';

export function unencapsulated<Options extends Record<string, unknown>>(
  name: string,
  plugin: FastifyPluginAsync<Options>
): FastifyPluginAsync<Options> {
  const marked = plugin as FastifyPluginAsync<Options> & Record<symbol, unknown>;
  marked[Symbol.for('skip-override')] = true;
  marked[Symbol.for('fastify.display-name')] = name;
  return marked;
}
