/**
 * Chromium's own caches inside an Electron app's folders: the Upwork app is Electron, and its
 * working folder (`<data>/Upwork/UserData/`, research/real-app-facts.md) holds Chromium's HTTP,
 * code and GPU caches. They are never the tracker's offline cache (which holds the unsent time):
 * the cache facts never count them and the bundle never copies them. Shared by facts and bundle.
 */

/** Folder names Chromium uses for its caches. */
const CHROMIUM_ONLY =
  /^(code cache|gpucache|shadercache|dawncache|dawnwebgpucache|dawngraphitecache|grshadercache|graphitedawncache|cachestorage|scriptcache)$/i;

/**
 * Whether a path (relative, any separator) lies in a Chromium cache: a folder with a
 * Chromium-only cache name anywhere, or a folder named `Cache` inside Electron's `UserData`.
 */
export function isChromiumCachePath(rel: string): boolean {
  const parts = rel.split(/[\\/]+/).filter(Boolean);
  const userData = parts.findIndex((p) => /^userdata$/i.test(p));
  return parts.some((p, i) => CHROMIUM_ONLY.test(p) || (userData >= 0 && i > userData && /^cache$/i.test(p)));
}
