// The command line: every command's options and help text, parsed with
// node:util parseArgs (strict: an unknown flag is a usage error, exit 2).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { usage } from './errors.mjs';

/** Flags every command takes. */
const GLOBAL = {
  product: { type: 'string', help: 'instagram (Instagram Login) or facebook (Facebook Login) [INSTAGATE_PRODUCT]' },
  'client-id': { type: 'string', help: 'the numeric App ID [INSTAGATE_CLIENT_ID]' },
  'redirect-uri': { type: 'string', help: 'the redirect URI registered with the app [INSTAGATE_REDIRECT_URI]' },
  scopes: { type: 'string', help: 'comma-separated permissions (default: the product\'s) [INSTAGATE_SCOPES]' },
  'client-secret-file': { type: 'string', help: 'file holding the app secret [INSTAGATE_CLIENT_SECRET_FILE; or INSTAGATE_CLIENT_SECRET]' },
  config: { type: 'string', help: 'JSON config file [INSTAGATE_CONFIG; default $XDG_CONFIG_HOME/instagate/config.json]' },
  store: { type: 'string', help: 'token store file [INSTAGATE_STORE; default $XDG_CONFIG_HOME/instagate/tokens.json]' },
  'key-file': { type: 'string', help: 'store key file [INSTAGATE_KEY_FILE; default $XDG_CONFIG_HOME/instagate/store.key; or INSTAGATE_KEY]' },
  'timeout-ms': { type: 'string', help: 'per HTTP call to Meta, in ms (default 30000)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
};

const account = { type: 'string', help: 'the account: IG user ID, username or product:id (default: the only one)' };
/** login / exchange: which of the login's accounts to store. */
const connectAccountFlag = {
  type: 'string',
  help: 'Facebook Login: store only this account: IG user ID, Page ID or username (default: every account the login granted)',
};
const json = { type: 'boolean', help: 'machine-readable output' };

const COMMANDS = {
  'auth-url': {
    summary: 'print the authorization URL (state and PKCE verifier kept for `exchange`)',
    usage: 'instagate auth-url [--force-reauth]',
    options: { 'force-reauth': { type: 'boolean', help: 'Instagram Login: ask the person to log in again' } },
    details: 'Open the URL, consent, then pass the URL the browser lands on to `instagate exchange --code`.',
  },
  login: {
    summary: 'the whole login on a desktop: loopback callback, browser, exchange, store',
    usage: 'instagate login [--port N] [--no-browser] [--timeout SECONDS] [--account ID]',
    options: {
      port: { type: 'string', help: 'loopback port (default: the redirect URI\'s, else 8765; 0 = any free port)' },
      'no-browser': { type: 'boolean', help: 'do not open a browser; print the URL to open' },
      timeout: { type: 'string', help: 'give up after this many seconds without a callback (default 300)' },
      'force-reauth': { type: 'boolean', help: 'Instagram Login: ask the person to log in again' },
      account: connectAccountFlag,
      json,
    },
    details: 'Listens on 127.0.0.1 only. The redirect URI http://127.0.0.1:PORT/callback (or the configured\n'
      + 'loopback one) must be registered with the app. Needs the app secret. A Facebook login stores\n'
      + 'every Instagram account the person granted (one per linked Page), unless --account names one;\n'
      + 'with --json, one line per stored account.',
  },
  exchange: {
    summary: 'exchange a code (or the whole redirect URL) from `auth-url` for a stored token',
    usage: 'instagate exchange --code -|CODE|URL | --code-file FILE [--account ID]',
    options: {
      code: { type: 'string', help: 'the code, or the full URL the browser landed on (`#_` and all); - reads it from stdin' },
      'code-file': { type: 'string', help: 'read the code (or URL) from this file instead of the command line' },
      state: { type: 'string', help: 'the state of the `auth-url` run (default: taken from the URL, else the newest)' },
      account: connectAccountFlag,
      json,
    },
    details: 'Needs the app secret. With a URL the state is checked against the one `auth-url` kept.\n'
      + 'Stores every account the login granted (Facebook Login: one per linked Page) unless --account names one.\n'
      + 'A code on the command line is visible to other local users (ps): prefer --code - or --code-file.',
  },
  import: {
    summary: 'bring in an existing access token (validated against the API)',
    usage: 'instagate import --token -|TOKEN | --token-file FILE [--ig-user-id ID] [--expires-at TIME | --expires-in SECONDS]',
    options: {
      token: { type: 'string', help: 'the token, or - to read it from stdin (keeps it out of `ps`)' },
      'token-file': { type: 'string', help: 'read the token from this file (keeps it out of `ps`)' },
      'ig-user-id': { type: 'string', help: 'Facebook Login: the Instagram account (required with a Page token)' },
      'expires-at': { type: 'string', help: 'when the token expires (ISO time), if known' },
      'expires-in': { type: 'string', help: 'seconds until the token expires, if known' },
      'issued-at': { type: 'string', help: 'when the token was issued (ISO time), if known' },
      'no-refresh': { type: 'boolean', help: 'Instagram Login: keep the token even when its expiry is unknown' },
      json,
    },
    details: 'A token on the command line is visible to other local users (ps): prefer --token - or --token-file.\n'
      + 'Instagram Login: with no expiry given, the token is refreshed at once so its expiry is known\n'
      + '(refreshing needs no secret). Facebook Login: a user token is turned into the non-expiring Page\n'
      + 'token (long-lived first when the app secret is set); a Page token needs --ig-user-id.',
  },
  status: {
    summary: 'each stored account: username, product, expiry, days left, refresh due, last refresh',
    usage: 'instagate status [--json] [--refresh-days N]',
    options: {
      json,
      'refresh-days': { type: 'string', help: 'a token is due once fewer days than this remain (default 30)' },
      account,
    },
    details: 'No network. Exit 0: all fine; 3: an account needs attention (due, expired, expiry unknown,\n'
      + 'last refresh or validate failed) or no account is stored.',
  },
  validate: {
    summary: 'a real API call per account: what works, and what an error means',
    usage: 'instagate validate [--account ID] [--json]',
    options: { account, json },
    details: 'Reads the profile and the publishing quota. Exit 3 when an account fails.',
  },
  refresh: {
    summary: 'refresh due tokens (or all); for a daily cron or CI job',
    usage: 'instagate refresh [--if-due] [--account ID] [--print-token | --print-env]',
    options: {
      'if-due': { type: 'boolean', help: 'only tokens that are due (see status); without it every refreshable one' },
      'refresh-days': { type: 'string', help: 'with --if-due: due once fewer days than this remain (default 30)' },
      'print-token': { type: 'boolean', help: 'print the new token (one account) on stdout, for the CI to save' },
      'print-env': { type: 'boolean', help: 'print the new headless variables (NAME=value) on stdout' },
      account,
      json,
    },
    details: 'The new token is written (atomically) before the old one is dropped. Facebook Login Page\n'
      + 'tokens do not expire and are skipped. Exit 3 when a token could not be refreshed.\n'
      + 'Nothing is printed with --print-* when no token changed.',
  },
  publish: {
    summary: 'publish an image, reel, carousel or story, with progress on stderr',
    usage: 'instagate publish image|reel|carousel|story --url URL ... [--caption TEXT]\n       instagate publish reel|story ./clip.mp4 [--caption TEXT]\n       instagate publish image|story ./photo.jpg --worker URL --account ID [--caption TEXT]\n       instagate publish reel|story ./clip.mp4 --worker URL --account ID [--caption TEXT]\n       instagate publish carousel --item ./a.jpg --item ./b.mp4 ... --worker URL --account ID',
    positionals: true,
    options: {
      url: { type: 'string', help: 'the media URL (public: Instagram downloads it); image, reel, story' },
      item: { type: 'string', multiple: true, help: 'carousel: a media URL or a local file (a video; with --worker also a .jpg), 2 to 10 times, in order (video: .mp4/.mov or a video: prefix)' },
      video: { type: 'boolean', help: 'story: the URL is a video (default: guessed from the extension)' },
      caption: { type: 'string', help: 'the caption (not for stories)' },
      'alt-text': { type: 'string', help: 'image: alternative text' },
      'cover-url': { type: 'string', help: 'reel: cover image URL' },
      'share-to-feed': { type: 'boolean', help: 'reel: also show it in the feed grid' },
      'check-quota': { type: 'boolean', help: 'read the publishing quota first' },
      worker: { type: 'string', help: 'publish a local .jpg, .mp4 or .mov through this instagate Worker (it stages the file and serves it to Meta) [INSTAGATE_WORKER_URL; API key: INSTAGATE_WORKER_API_KEY; per-part timeout: INSTAGATE_UPLOAD_PART_TIMEOUT_MS, default 120000]' },
      account,
      json,
    },
    details: 'Prints the media ID and permalink. A publish whose answer is lost is never sent twice.\n'
      + 'A local video file (reel, story, carousel item) is uploaded to Meta with a progress bar: Facebook Login\n'
      + 'accounts only (Meta offers the upload there); an interrupted upload resumes where Meta stopped.\n'
      + 'A local JPEG (image, story, carousel item) or video (reel, story, carousel item) goes through an instagate Worker with --worker, for\n'
      + 'either login product: it is staged there (a video in parts; an interrupted part is sent again alone)\n'
      + 'and Meta fetches it from a short-lived signed URL; --account is the Worker\'s account ID.',
  },
  export: {
    summary: 'print the environment variables a CI job needs (they include the token)',
    usage: 'instagate export [--account ID] [--sealed] [--json]',
    options: {
      account,
      sealed: { type: 'boolean', help: 'the whole store as INSTAGATE_STORE_DATA (needs INSTAGATE_KEY in the job) instead of INSTAGATE_TOKEN' },
      json,
    },
    details: 'Prints secrets: save them as CI secrets, never in a log. The app secret is not printed.',
  },
};

const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  a call to Meta failed (the message says what to do)
  2  bad command line or settings
  3  an account needs attention (status, validate, refresh)
  4  the token store cannot be opened (no key, wrong key, damaged); nothing was written
  5  the login did not complete (denied, state mismatch, timed out)`;

function optionLines(options) {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ' VALUE' : ''}`;
    return `  ${flag.padEnd(28)} ${o.help}`;
  }).join('\n');
}

export function mainHelp() {
  const list = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join('\n');
  return `instagate — keep Instagram access tokens alive from the command line

Usage: instagate COMMAND [options]      instagate COMMAND --help      instagate version

Commands:
${list}

Common options:
${optionLines(GLOBAL)}

Environment (flags win): INSTAGATE_PRODUCT, INSTAGATE_CLIENT_ID, INSTAGATE_REDIRECT_URI,
INSTAGATE_SCOPES, INSTAGATE_CLIENT_SECRET(_FILE), INSTAGATE_CONFIG, INSTAGATE_STORE,
INSTAGATE_KEY, INSTAGATE_KEY_FILE, INSTAGATE_GRAPH_VERSION.
Headless (no file, no browser): INSTAGATE_TOKEN (+ INSTAGATE_IG_USER_ID, INSTAGATE_TOKEN_EXPIRES_AT,
INSTAGATE_TOKEN_ISSUED_AT, INSTAGATE_TOKEN_KIND), or INSTAGATE_STORE_DATA + INSTAGATE_KEY.
Test/dev: INSTAGATE_STANDIN_ORIGIN, INSTAGATE_AUTHORIZE_BASE, INSTAGATE_TOKEN_BASE,
INSTAGATE_GRAPH_BASE (other Meta hosts), INSTAGATE_NOW (the clock).

${EXIT_CODES_HELP}
`;
}

export function commandHelp(name) {
  const c = COMMANDS[name];
  return `instagate ${name} — ${c.summary}

Usage: ${c.usage}

Options:
${optionLines(c.options)}

Common options (see instagate --help):
${optionLines(GLOBAL)}

${c.details}

${EXIT_CODES_HELP}
`;
}

/** `{command, flags, positionals}`; `command` null for the main help. */
export function parseCommandLine(argv) {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic && !COMMANDS[topic]) throw usage(`unknown command "${topic}"`, 'run `instagate --help`');
    return { command: topic ?? null, flags: { help: true }, positionals: [] };
  }
  if (command === '--version' || command === 'version') return { command: 'version', flags: {}, positionals: [] };
  const spec = COMMANDS[command];
  if (!spec) throw usage(`unknown command "${command}"`, 'run `instagate --help` for the list');
  const options = {};
  for (const [name, o] of Object.entries({ ...GLOBAL, ...spec.options })) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: Boolean(spec.positionals), strict: true });
  } catch (e) {
    throw usage(`${command}: ${e.message}`, `run \`instagate ${command} --help\``);
  }
  return { command, flags: parsed.values, positionals: parsed.positionals };
}

/** A whole number flag, or a usage error naming it. */
export function intFlag(flags, name, fallback, { min = 0 } = {}) {
  const value = flags[name];
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw usage(`--${name} must be a whole number ≥ ${min}, got "${value}"`);
  return Number(value);
}

/**
 * A secret-bearing value (a token, a code): `--NAME -` reads it from stdin,
 * `--NAME-file FILE` from a file, `--NAME VALUE` takes it from the command
 * line, where other local users can see it (`ps`, /proc). Trimmed; undefined
 * when neither flag is given.
 */
export function secretFlag(flags, name) {
  const value = flags[name];
  const file = flags[`${name}-file`];
  if (value !== undefined && file !== undefined) throw usage(`give --${name} or --${name}-file, not both`);
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw usage(`cannot read --${name}-file ${file}: ${e.code ?? e.message}`);
    }
  }
  if (value === '-') return readFileSync(0, 'utf8').trim();
  return value?.trim();
}
