// Bundles the GraphiQL playground (playground/app.tsx) into dist/playground/: the app as ES
// modules with its CSS (fonts inlined), the three Monaco workers, and index.html, which the
// server answers GET /graphql with. Every file but index.html has a content hash in its name and
// a gzipped copy beside it. `npm run build` runs it; about 1 s.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { PLAYGROUND_CONTENT_TYPES, PLAYGROUND_DIR, PLAYGROUND_INDEX } from '../src/http/playground';

const root = resolve(__dirname, '..');
const gzip = promisify(gzipCallback);

const WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
};

/**
 * Nothing but our own origin: scripts, styles, workers and API calls come from the server that
 * served the page. Monaco sets inline styles and the fonts are data: URLs.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * graphiql/style.css already holds all of Monaco's CSS (and its icon font), so the CSS files
 * Monaco's modules import one by one would only duplicate it, once per lazily loaded chunk.
 */
const monacoCssFromGraphiql: Plugin = {
  name: 'monaco-css-from-graphiql',
  setup(esbuild) {
    esbuild.onResolve({ filter: /\.css$/ }, ({ path, importer }) =>
      /[\\/]node_modules[\\/]monaco-editor[\\/]/.test(importer)
        ? { path, namespace: 'in-graphiql-css' }
        : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'in-graphiql-css' }, () => ({
      contents: '',
      loader: 'empty',
    }));
  },
};

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  target: 'es2022',
  outdir: PLAYGROUND_DIR,
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

/** The output file built from each entry point, by entry name. */
function outputsByEntry(metafile: Metafile): Map<string, { js: string; css?: string }> {
  const byEntry = new Map<string, { js: string; css?: string }>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!output.entryPoint || !file.endsWith('.js')) continue;
    const js = basename(file);
    const css = output.cssBundle ? basename(output.cssBundle) : undefined;
    byEntry.set(js.slice(0, js.lastIndexOf('-')), css ? { js, css } : { js });
  }
  return byEntry;
}

function indexHtml(script: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<title>Account API playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="playground/${stylesheet}">
<script type="module" src="playground/${script}"></script>
<style>body { margin: 0; } #graphiql { height: 100dvh; }</style>
</head>
<body>
<div id="graphiql"></div>
<noscript>The playground needs JavaScript. Any GraphQL client can POST JSON to this URL.</noscript>
</body>
</html>
`;
}

async function buildPlayground(): Promise<{ files: number; bytes: number; gzipped: number }> {
  await rm(PLAYGROUND_DIR, { recursive: true, force: true });

  // Classic (non-module) workers: one self-contained file each.
  const workers = await build({
    ...common,
    format: 'iife',
    metafile: true,
    entryPoints: Object.entries(WORKERS).map(([name, path]) => ({
      in: path,
      out: `${name}.worker`,
    })),
  });
  const workerFiles = outputsByEntry(workers.metafile);
  const workerFile = (name: string): string => workerFiles.get(`${name}.worker`)!.js;

  // The app: ES modules, so Monaco's and Prettier's dynamic imports become chunks of their own.
  const app = await build({
    ...common,
    format: 'esm',
    metafile: true,
    splitting: true,
    jsx: 'automatic',
    entryPoints: { app: 'playground/app.tsx' },
    plugins: [monacoCssFromGraphiql],
    loader: { '.ttf': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl' },
    define: {
      ...common.define,
      PLAYGROUND_WORKERS: JSON.stringify({
        editor: workerFile('editor'),
        json: workerFile('json'),
        graphql: workerFile('graphql'),
      }),
    },
  });
  const entry = outputsByEntry(app.metafile).get('app')!;
  if (!entry.css) throw new Error('esbuild wrote no stylesheet for the playground');
  await writeFile(join(PLAYGROUND_DIR, PLAYGROUND_INDEX), indexHtml(entry.js, entry.css));

  // The server serves only the types it knows, and each one gzipped where the browser accepts it.
  const outputs = [...Object.keys(workers.metafile.outputs), ...Object.keys(app.metafile.outputs)];
  const unknown = outputs.filter((file) => !(extname(file) in PLAYGROUND_CONTENT_TYPES));
  if (unknown.length > 0) throw new Error(`the server would not serve ${unknown.join(', ')}`);
  const sizes = await Promise.all(
    outputs.map(async (file) => {
      const content = await readFile(join(root, file));
      const zipped = await gzip(content, { level: 9 });
      await writeFile(join(root, `${file}.gz`), zipped);
      return { bytes: content.length, gzipped: zipped.length };
    }),
  );
  return {
    files: outputs.length,
    bytes: sizes.reduce((sum, size) => sum + size.bytes, 0),
    gzipped: sizes.reduce((sum, size) => sum + size.gzipped, 0),
  };
}

const started = performance.now();
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
buildPlayground()
  .then(({ files, bytes, gzipped }) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `playground: ${files} files, ${mb(bytes)} (${mb(gzipped)} gzipped), in ${seconds} s\n`,
    );
  })
  .catch((error: unknown) => {
    process.stderr.write(`could not build the playground: ${String(error)}\n`);
    process.exit(1);
  });
