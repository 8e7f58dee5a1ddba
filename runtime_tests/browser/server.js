'use strict';
/**
 * A static HTTP server on 127.0.0.1 for the browser tests: serves URL prefixes ("mounts") from
 * local directories, logs every request, and can break chosen paths on purpose (to test a
 * download that dies half way). Nothing here listens on anything but loopback.
 */
const fs = require('fs');
const http = require('http');
const path = require('path');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream',
  '.png': 'image/png', '.css': 'text/css',
};

/** The file a URL path maps to, or null (no mount, or an attempt to climb out of one). */
function resolveFile(mounts, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch (err) {
    return null;
  }
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!decoded.startsWith(prefix)) continue;
    const root = path.resolve(dir);
    const file = path.resolve(root, '.' + path.posix.sep + decoded.slice(prefix.length));
    if (file !== root && !file.startsWith(root + path.sep)) return null;
    return file;
  }
  return null;
}

/**
 * Starts a server. mounts: {'/prefix/': '/abs/dir', ...}. port 0 picks a free one.
 * Returns {url, port, log, faults, mounts, close(), listen()}: log holds {method, path, status}
 * per request; faults maps a URL path to 'partial' (half the body, then the connection is cut)
 * or an HTTP status number. close() stops it (open connections too); listen() starts it again
 * on the same port (same origin, so the browser's caches still apply).
 */
async function startServer(mounts, port = 0) {
  const state = {mounts: {...mounts}, log: [], faults: new Map()};
  const handler = (req, res) => {
    const urlPath = new URL(req.url, 'http://127.0.0.1').pathname;
    const fault = state.faults.get(urlPath);
    const file = resolveFile(state.mounts, urlPath);
    const entry = {method: req.method, path: urlPath, status: 0};
    state.log.push(entry);
    const headers = {'Cache-Control': 'no-store'}; // the HTTP cache must not hide what we test
    if (typeof fault === 'number') {
      entry.status = fault;
      res.writeHead(fault, headers).end(`fault injected: ${fault}`);
      return;
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      entry.status = 404;
      res.writeHead(404, headers).end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    headers['Content-Type'] = MIME[path.extname(file)] || 'application/octet-stream';
    headers['Content-Length'] = body.length;
    entry.status = 200;
    res.writeHead(200, headers);
    if (fault === 'partial') {
      entry.status = 'partial';
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  let server = null;
  const api = {
    ...state,
    port,
    get url() { return `http://127.0.0.1:${api.port}`; },
    listen() {
      return new Promise((resolve, reject) => {
        server = http.createServer(handler);
        server.once('error', reject);
        server.listen(api.port, '127.0.0.1', () => {
          api.port = server.address().port;
          resolve(api);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
        server = null;
      });
    },
  };
  return api.listen();
}

module.exports = {startServer, resolveFile};
