#!/usr/bin/env node
// Kept to syntax old Node versions can parse, so they get a message instead of a SyntaxError.
var major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  process.stderr.write(
    'upwork-doctor needs Node.js 20 or newer; this is Node.js ' +
      process.version +
      '.\n' +
      'Install a current Node.js from https://nodejs.org and run it again.\n',
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
          'upwork-doctor is not built yet: run "npm run build" (or "npm ci") in its folder first.\n',
        );
      } else {
        process.stderr.write('upwork-doctor failed to start: ' + (e && e.stack ? e.stack : e) + '\n');
      }
      process.exit(2);
    },
  );
