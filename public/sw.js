// Showroom's service worker: keeps the app shell of one build available
// offline and hands over to a new build only when the page asks.
//
// The build (`cargo xtask build`) fills in the two placeholders below, the
// cache name's build id and the precache list: a JSON array of every file it
// ships except this one. It replaces every occurrence of a placeholder's
// exact text in this file, so this comment does not spell them out.
'use strict';

const CACHE_PREFIX = 'showroom-';
const CACHE = CACHE_PREFIX + '__BUILD__';
const PRECACHE = __PRECACHE__;

// Live data and the sync channel never come from a cache.
function bypasses(pathname) {
  return pathname.startsWith('/api/') || pathname === '/sync' || pathname.startsWith('/sync/') ||
    pathname === '/healthz';
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // 'reload' skips the HTTP cache so a new build never precaches old files.
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })));
    // The first install takes over at once; an update waits until the page
    // asks (SKIP_WAITING), so a person is never switched build mid-task.
    if (!self.registration.active) {
      await self.skipWaiting();
    }
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') {
    self.skipWaiting();
  }
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || bypasses(url.pathname)) {
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(appShell(request));
  } else {
    event.respondWith(cacheFirst(request));
  }
});

// Every page of the app is the same index.html (the router runs in the
// page), so a navigation is answered from the cache and works offline.
async function appShell(request) {
  const cache = await caches.open(CACHE);
  const shell = await cache.match('/index.html');
  return shell || fetch(request);
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  return cached || fetch(request);
}
