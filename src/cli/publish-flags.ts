/**
 * `--publish nats://HOST:PORT --subject PREFIX [--stream NAME]`, shared by `collect` and
 * `serve` (see `write/publish.ts` for what is published). Kept apart so that `serve` does not
 * load the write commands to read three flags.
 */
import { checkNatsUrl, checkSubjectPrefix, type PublishOptions } from '../write/publish.js';
import { UsageError } from './stores.js';

/** `--publish URL --subject PREFIX [--stream NAME]` (all or none), checked. */
export function publishOptions(values: Record<string, unknown>): PublishOptions | undefined {
  const url = values.publish as string | undefined;
  const subject = values.subject as string | undefined;
  const stream = values.stream as string | undefined;
  if (url === undefined) {
    if (subject !== undefined || stream !== undefined) throw new UsageError('--subject and --stream go with --publish nats://HOST:PORT');
    return undefined;
  }
  if (subject === undefined) throw new UsageError('--publish needs --subject PREFIX (subjects PREFIX.pod.<namespace> and PREFIX.node.<node>)');
  try {
    checkNatsUrl(url);
    checkSubjectPrefix(subject);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (stream !== undefined && !/^[A-Za-z0-9_-]+$/.test(stream)) throw new UsageError(`invalid --stream ${JSON.stringify(stream)}: letters, digits, _ and - only`);
  return { url, subject, ...(stream !== undefined ? { stream } : {}) };
}
