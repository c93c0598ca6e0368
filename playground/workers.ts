/**
 * Monaco runs its language services in web workers. The build bundles each worker into its own
 * file next to the app bundle (their hashed names arrive as PLAYGROUND_WORKERS), and they are
 * loaded from there: same origin, nothing from a CDN.
 */
declare const PLAYGROUND_WORKERS: { editor: string; json: string; graphql: string };

const worker = (file: string): Worker => new Worker(new URL(`./${file}`, import.meta.url));

window.MonacoEnvironment = {
  getWorker(_workerId, label) {
    if (label === 'json') return worker(PLAYGROUND_WORKERS.json);
    if (label === 'graphql') return worker(PLAYGROUND_WORKERS.graphql);
    return worker(PLAYGROUND_WORKERS.editor);
  },
};
