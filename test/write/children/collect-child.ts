/**
 * Child process of the collector kill test: runs `startCollector` on a container log
 * directory until SIGTERM (clean stop, exit 0) or SIGKILL (the test's crash).
 *
 * argv: <store> <containers dir> <poll ms> [<nats url> <subject prefix>]  (the last two: publish)
 */
import { startCollector } from '../../../src/write/collector.js';

const [store, from, pollMs, natsUrl, subject] = process.argv.slice(2) as [string, string, string, string?, string?];
const collector = await startCollector({
  store,
  containerDirs: [from],
  pollMs: Number(pollMs),
  ...(natsUrl && subject ? { publish: { url: natsUrl, subject, minBackoffMs: 50, maxBackoffMs: 200 } } : {}),
  onEvent: (e) => {
    if (e.type === 'error' || e.type === 'lost' || e.type === 'malformed') process.stderr.write(`${JSON.stringify(e)}\n`);
  },
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void collector.stop().then((s) => {
    process.stdout.write(`stopped ${JSON.stringify(s)}\n`);
    process.exit(0);
  });
});
