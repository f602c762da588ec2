#!/usr/bin/env node
// Kept to syntax old Node versions can parse, so they get a message instead of a SyntaxError.
// Errors carry the CLI's one prefix, "upwork-doctor: error: " (src/core/errors.ts ERROR_PREFIX).
// The floor is what the code needs: node:zlib crc32 (the engine's journal) came in Node 20.15.
var parts = process.versions.node.split('.');
var major = Number(parts[0]);
var minor = Number(parts[1]);
if (major < 20 || (major === 20 && minor < 15)) {
  process.stderr.write(
    'upwork-doctor: error: it needs Node.js 20.15 or newer, and this is Node.js ' +
      process.version +
      ': install a current Node.js from https://nodejs.org and run it again.\n',
  );
  process.exit(2);
}
import('node:module')
  .then(function (m) {
    if (m.enableCompileCache) m.enableCompileCache();
    return import('../dist/cli/main.js');
  })
  .then(
    function (cli) {
      return cli.run();
    },
    function (e) {
      if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).indexOf('dist') !== -1) {
        process.stderr.write(
          'upwork-doctor: error: it is not built yet: run "npm run build" (or "npm ci") in its folder first.\n',
        );
      } else {
        process.stderr.write(
          'upwork-doctor: error: it failed to start: ' + (e && e.stack ? e.stack : e) + '\n',
        );
      }
      process.exit(2);
    },
  );
