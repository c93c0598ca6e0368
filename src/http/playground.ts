import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { type ApolloServerPlugin } from '@apollo/server';

/**
 * Where `npm run build` puts the bundled GraphiQL (scripts/build-playground.ts): the same folder
 * whether this file runs from src/http (tsx, jest) or from dist/http.
 */
export const PLAYGROUND_DIR = join(__dirname, '..', '..', 'dist', 'playground');
export const PLAYGROUND_INDEX = 'index.html';

/** The URL path of the bundled files; index.html names them relative to /graphql. */
export const PLAYGROUND_PATH = '/playground/';

/** The types of file the build writes. Each also has a gzipped copy beside it (`.gz`). */
export const PLAYGROUND_CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Account API playground</title></head>
<body><p>The playground is not built. Run <code>npm run build</code> and reload.</p></body>
</html>
`;

/** True unless the client refuses gzip (`Accept-Encoding` without it, or with q=0). */
function acceptsGzip(request: IncomingMessage): boolean {
  for (const entry of (request.headers['accept-encoding'] ?? '').split(',')) {
    const [coding, ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

export interface Playground {
  /** Answers GET /graphql from a browser with the page (Apollo's landing-page hook). */
  plugin(): ApolloServerPlugin;
  /** Sends the bundled file `name` (the path after /playground/); false when there is none. */
  serveAsset(name: string, request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

/**
 * GraphiQL, bundled at build time: nothing on the page comes from anywhere but this server.
 * Files are read on each request, so a rebuild needs no restart.
 */
export function createPlayground(dir = PLAYGROUND_DIR): Playground {
  async function page(): Promise<string> {
    try {
      return await readFile(join(dir, PLAYGROUND_INDEX), 'utf8');
    } catch {
      return NOT_BUILT;
    }
  }

  return {
    plugin() {
      return {
        serverWillStart() {
          return Promise.resolve({ renderLandingPage: () => Promise.resolve({ html: page }) });
        },
      };
    },

    async serveAsset(name, request, response) {
      const type = PLAYGROUND_CONTENT_TYPES[extname(name)];
      // A plain file name of a type we bundle: no folders, so nothing outside `dir` is reachable.
      if (!type || !/^[\w.-]+$/.test(name)) return false;
      const gzip = acceptsGzip(request);
      let body: Buffer;
      try {
        body = await readFile(join(dir, gzip ? `${name}.gz` : name));
      } catch {
        return false;
      }
      response.writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        vary: 'accept-encoding',
        // The name holds a hash of the content, so a browser may keep the file for good.
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
