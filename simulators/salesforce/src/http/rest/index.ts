/**
 * The REST API of one org: `GET /services/data` (versions, public) and everything under
 * `/services/data/vXX.X/` (authenticated, one API call per request): the version's resource
 * list, sObjects, sObject Collections, composite, sObject Tree, query and limits.
 */
import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../../model.ts';
import { authenticate, invalidSession } from '../auth.ts';
import { identityUrl, requestOrigin } from '../oauth.ts';
import { listVersions, versionResources } from '../versions.ts';
import { collectionRoutes } from './collections.ts';
import { compositeRoutes } from './composite.ts';
import type { FileRouteOptions } from './files.ts';
import { limitsRoutes } from './limits.ts';
import { queryRoutes } from './query.ts';
import type { QueryCursors } from './query-cursors.ts';
import { sobjectRoutes } from './sobjects.ts';
import { treeRoutes } from './tree.ts';

export const REST_PREFIX = '/services/data/v:version';

export async function restRoutes(
  app: FastifyInstance,
  options: {
    ctx: EmulatorContext;
    cursors: QueryCursors;
    /** The resources served under the version (see collectVersionResources). */
    resources: ReadonlySet<string>;
    files: FileRouteOptions;
  }
): Promise<void> {
  const { ctx, cursors, resources, files } = options;

  // Public in a real org too: clients read it to pick the newest version.
  app.get('/services/data', async () => listVersions());

  await app.register(
    async (versioned) => {
      versioned.addHook('onRequest', authenticate(ctx, 'rest'));
      versioned.get<{ Params: { version: string } }>('/', async (request) => {
        if (!request.session) throw invalidSession();
        return versionResources(
          request.params.version,
          identityUrl(requestOrigin(request), request.session.principal),
          resources
        );
      });
      await versioned.register(sobjectRoutes, { ctx, files });
      await versioned.register(collectionRoutes, { ctx });
      await versioned.register(compositeRoutes, { ctx });
      await versioned.register(treeRoutes, { ctx });
      await versioned.register(queryRoutes, { ctx, cursors });
      await versioned.register(limitsRoutes, { ctx });
    },
    { prefix: REST_PREFIX }
  );
}
