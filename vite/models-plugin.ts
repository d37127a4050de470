import fs from 'node:fs';
import path from 'node:path';
import type { Connect, Plugin } from 'vite';

/**
 * Serves a local models directory in the Hub's URL layout, for air-gapped teams and for the tests.
 *
 * With `JAMMI_MODELS_DIR=<dir>`, every folder `<dir>/<name>` is a model whose id is `<name>`:
 *   GET /models/index.json                        → { "models": ["<name>", ...] }
 *   GET /models/<name>/resolve/<revision>/<file>  → the file (revision is ignored)
 * Paths are confined to the directory; anything else is a 404. Files carry an ETag (size and mtime) and answer a
 * matching `If-None-Match` with 304, so the app revalidates the copy it keeps offline without downloading it again.
 */
export function servedModels(dir: string | undefined): Plugin {
  const root = dir ? path.resolve(dir) : undefined;
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (!url.pathname.startsWith('/models/')) return next();
    const send404 = (why: string) => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain');
      res.end(why);
    };
    if (!root) return send404('No models directory is served (set JAMMI_MODELS_DIR).');
    if (url.pathname === '/models/index.json') {
      const models = fs
        .readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, 'config.json')))
        .map((e) => e.name)
        .sort();
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      res.end(JSON.stringify({ models }));
      return;
    }
    const m = /^\/models\/([^/]+)\/resolve\/[^/]+\/(.+)$/.exec(decodeURIComponent(url.pathname));
    if (!m) return send404('Not a model file URL.');
    const file = path.resolve(root, m[1], m[2]);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      return send404(`No such file: ${m[1]}/${m[2]}`);
    }
    const stat = fs.statSync(file);
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Length', String(stat.size));
    res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    fs.createReadStream(file).pipe(res);
  };
  return {
    name: 'jammi-served-models',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}
