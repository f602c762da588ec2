/**
 * The `--time-server` value: ntp://HOST[:PORT]. Kept free of network imports so the CLI can
 * validate the option while parsing arguments without loading the network stack.
 */

export interface TimeServer {
  host: string;
  port: number;
}

/** Parse ntp://host[:port] (a bare host[:port] is read as ntp://; port 123 by default). Throws with one line. */
export function parseTimeServer(s: string): TimeServer {
  const bad = (why: string) => new Error(`time server must be ntp://HOST[:PORT] (got "${s}"): ${why}`);
  const text = s.trim();
  if (!text) throw bad('it is empty');
  let u: URL;
  try {
    u = new URL(text.includes('://') ? text : `ntp://${text}`);
  } catch {
    throw bad('not a valid URL or port');
  }
  if (u.protocol !== 'ntp:') throw bad(`the scheme is ${u.protocol.replace(/:$/, '')}, not ntp`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('the host is missing');
  if (u.username || u.password) throw bad('a time server takes no user name or password');
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash) throw bad('a time server has no path');
  const port = u.port ? Number(u.port) : 123;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('the port must be 1-65535');
  return { host, port };
}
