#!/usr/bin/env node
// The CLI runs from its bundle (dist/bin/, built by scripts/build-cli.mjs from src/cli/main.ts):
// one file to load instead of hundreds of modules, and each subcommand in its own chunk.
import { main } from '../dist/bin/main.js';

// The AWS SDK (s3:// stores) warns on every run under Node < 22 about its releases after
// January 2027; this package pins a release that supports Node 20, so the warning is noise
// in a CLI's stderr. Set the variable to anything else to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `letheql … | head` closes the pipe early: stop quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
