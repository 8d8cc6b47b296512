// Exit codes, the CLI's own error class, and what each library error kind
// tells the person to do. Every command ends through `exitCodeFor` so the
// documented codes (README "Command line") hold everywhere.
import { InstagateError } from '../node.js';

/** The exit codes, documented in README.md ("Exit codes"). */
export const EXIT = Object.freeze({
  OK: 0,
  /** A call to Meta failed, or something unexpected happened. */
  FAILED: 1,
  /** Bad command line or settings (nothing was sent to Meta). */
  USAGE: 2,
  /** An account needs attention: due/expired token, failed validate or refresh. */
  ATTENTION: 3,
  /** The token store cannot be opened: no key, wrong key, damaged file. Nothing was written. */
  STORE: 4,
  /** The login did not complete: consent denied, state mismatch, timed out. */
  LOGIN: 5,
});

/** An error of the CLI itself (usage, settings, store), with its exit code and advice. */
export class CliError extends Error {
  constructor(message, { exit = EXIT.FAILED, hint = null } = {}) {
    super(message);
    this.name = 'CliError';
    this.exit = exit;
    this.hint = hint;
  }
}

export const usage = (message, hint) => new CliError(message, { exit: EXIT.USAGE, hint });
export const storeError = (message, hint) => new CliError(message, { exit: EXIT.STORE, hint });

// What to do about each InstagateError kind (the library's kinds, same names).
const ADVICE = {
  invalid_token: 'The token was revoked or is not valid any more: run `instagate login` (or `import` a new token).',
  token_expired: 'The token has expired and cannot be refreshed: run `instagate login` again.',
  refresh_too_early: 'Instagram refreshes a token only once it is 24 hours old: run `refresh` again later.',
  rate_limited: 'Meta is throttling the app or the account: wait and try again.',
  permission_denied: 'The token lacks a permission for this: log in again and grant every permission asked.',
  missing_permission: 'A permission was not granted: log in again and keep it checked on the consent page.',
  invalid_request: 'Meta refused the request: check the settings (app ID, redirect URI, account).',
  invalid_code: 'The code is used or expired (codes are single-use and short-lived): start again with `auth-url` or `login`.',
  oauth_denied: 'The consent was declined: run `login` again and allow access.',
  state_mismatch: 'The callback does not belong to the login this tool started: start again with `auth-url` or `login`.',
  invalid_callback: 'The callback URL is malformed or its redirect URI differs from the configured one: paste the whole URL the browser landed on.',
  personal_account: 'Personal Instagram accounts cannot use the API: switch it to a professional (Business or Creator) account in the Instagram app.',
  no_linked_account: 'None of this person\'s Facebook Pages is linked to an Instagram professional account: link one in the Page settings, then log in again.',
  media: 'Instagram refused the media: check its format and that the URL is public (Instagram downloads it).',
  account_restricted: 'Instagram restricted the account (inactive, checkpoint or restriction): the account owner must open the Instagram app and do what it asks, then publish again.',
  publish_limit: 'The account has used its publishing limit for the last 24 hours: try later (`status` shows no quota; `validate` does).',
  transient: 'Meta had a temporary problem: try again in a moment.',
  transport: 'Meta could not be reached: check the network and try again.',
  timeout: 'Meta did not answer in time: try again (or raise --timeout-ms).',
  aborted: 'The operation was stopped.',
  unexpected_response: 'Meta answered something unexpected: try again; report it with the fbtrace_id if it persists.',
  invalid_input: 'An input is wrong: see the field named and `--help`.',
  config: 'A setting is wrong: see the field named and `instagate --help` (INSTAGATE_* variables).',
};

export const adviceFor = (kind) => ADVICE[kind] ?? 'See docs/troubleshooting.md.';

/** The exit code for any thrown value. */
export function exitCodeFor(error) {
  if (error instanceof CliError) return error.exit;
  if (error instanceof InstagateError) {
    if (['oauth_denied', 'state_mismatch', 'invalid_callback'].includes(error.kind)) return EXIT.LOGIN;
    if (error.kind === 'config' || error.kind === 'invalid_input') return EXIT.USAGE;
    return EXIT.FAILED;
  }
  return EXIT.FAILED;
}

/** One-line summary of Meta's fields on an InstagateError (never a token). */
export function metaFields(error) {
  const parts = [`kind ${error.kind}`];
  if (error.code != null) parts.push(`code ${error.code}${error.subcode != null ? `/${error.subcode}` : ''}`);
  if (error.status != null) parts.push(`HTTP ${error.status}`);
  if (error.field) parts.push(`field ${error.field}`);
  if (error.retryAfter != null) parts.push(`retry after ${error.retryAfter} s`);
  if (error.fbtraceId) parts.push(`fbtrace_id ${error.fbtraceId}`);
  return parts.join(', ');
}

/** The lines printed on stderr for a failure. */
export function describeError(error) {
  if (error instanceof CliError) {
    return [`error: ${error.message}`, ...(error.hint ? [`  what to do: ${error.hint}`] : [])];
  }
  if (error instanceof InstagateError) {
    return [`error: ${error.message}`, `  (${metaFields(error)})`, `  what to do: ${adviceFor(error.kind)}`];
  }
  return [`error: ${error?.stack ?? error}`];
}
