// A Hub-layout host (`/<id>/resolve/<rev>/<file>`) over a local folder of models, with CORS, on an ephemeral port:
// how the benchmark hands its generated model to the app and to transformers.js alike. `pages` adds static routes
// (URL path or prefix ending in '/' → a file or folder, or a string body for .html), served cross-origin isolated.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

export async function hubServer(root, pages = {}) {
  root = path.resolve(root);
  const server = http.createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    if (req.method === 'OPTIONS') {
      // CORS preflight (transformers.js sends custom headers).
      res.setHeader('Access-Control-Allow-Headers', '*');
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      res.statusCode = 204;
      return res.end();
    }
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (file) => {
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.statusCode = 404;
        return res.end('Entry not found');
      }
      res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(fs.statSync(file).size));
      fs.createReadStream(file).pipe(res);
    };
    for (const [prefix, target] of Object.entries(pages)) {
      if (prefix === pathname && !target.startsWith('/')) {
        res.setHeader('Content-Type', 'text/html');
        return res.end(target);
      }
      if (prefix === pathname) return send(target);
      if (prefix.endsWith('/') && pathname.startsWith(prefix)) {
        const file = path.resolve(target, pathname.slice(prefix.length));
        return file.startsWith(path.resolve(target) + path.sep) ? send(file) : send('');
      }
    }
    const m = /^\/([^/]+)\/resolve\/[^/]+\/(.+)$/.exec(pathname);
    const file = m ? path.resolve(root, m[1], m[2]) : '';
    return send(m && file.startsWith(root + path.sep) ? file : '');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `http://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
