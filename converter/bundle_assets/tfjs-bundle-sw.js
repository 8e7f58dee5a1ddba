/**
 * tfjs-export bundle service worker (written by `tfjs-export bundle`): keeps the page, the
 * loader and TF.js in Cache Storage so the demo opens with no network. The model files are not
 * handled here: the loader caches and verifies them (tfjs-bundle-loader.js).
 * TF.js files are served cache-first (fixed versions); the page and loader network-first.
 */
const SHELL = __SHELL_FILES__;
const SHELL_CACHE = 'tfjs-export-shell:' + self.registration.scope + ':__VERSION__';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('tfjs-export-shell:' + self.registration.scope) && name !== SHELL_CACHE) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || !url.href.startsWith(self.registration.scope)) return;
  let rel = url.pathname.slice(new URL(self.registration.scope).pathname.length);
  if (rel === '') rel = 'index.html';
  if (!SHELL.includes(rel)) return; // model files and integrity.json: the loader's business
  const cacheFirst = rel.startsWith('tfjs/');
  event.respondWith((async () => {
    const cache = await caches.open(SHELL_CACHE);
    if (cacheFirst) {
      const hit = await cache.match(rel);
      if (hit) return hit;
    }
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(rel, response.clone());
      return response;
    } catch (err) {
      const hit = await cache.match(rel);
      if (hit) return hit;
      throw err;
    }
  })());
});
