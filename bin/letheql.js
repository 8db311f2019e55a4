#!/usr/bin/env node
// The CLI runs from its bundle (dist/bin/, built by scripts/build-cli.mjs from src/cli/main.ts):
// one file to load instead of hundreds of modules, and each subcommand in its own chunk.
import { main } from '../dist/bin/main.js';

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
