// App settings (flags > INSTAGATE_* environment variables > config file >
// what the stored account remembers), the paths of the config directory, the
// store and the key, and the library config built from them. The app secret
// is read here and kept in memory only: nothing writes it anywhere.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { usage } from './errors.mjs';

/** `$XDG_CONFIG_HOME/instagate`, else `~/.config/instagate`. */
export function configDir(env) {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'instagate');
}

const CONFIG_KEYS = new Set([
  'product', 'clientId', 'redirectUri', 'scopes', 'graphVersion', 'configId', 'standinOrigin', 'endpoints',
  'clientSecret', 'clientSecretFile', 'store', 'keyFile', 'workerUrl',
]);

function readConfigFile(path, explicit) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT' && !explicit) return {};
    throw usage(`cannot read the config file ${path}: ${e.code ?? e.message}`, 'check --config / INSTAGATE_CONFIG');
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw usage(`the config file ${path} is not valid JSON: ${e.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw usage(`the config file ${path} must hold a JSON object`);
  for (const key of Object.keys(value)) {
    if (!CONFIG_KEYS.has(key)) throw usage(`unknown setting "${key}" in ${path}`, `known settings: ${[...CONFIG_KEYS].join(', ')}`);
  }
  return value;
}

function readSecretFile(path) {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw usage(`cannot read the app secret file ${path}: ${e.code ?? e.message}`);
  }
}

const splitScopes = (s) => s.split(/[\s,]+/).filter(Boolean);

/** Every setting, resolved once per run. `flags` are the parsed global flags. */
export function loadSettings(flags, env) {
  const dir = configDir(env);
  const configPath = flags.config ?? env.INSTAGATE_CONFIG ?? join(dir, 'config.json');
  const file = readConfigFile(configPath, Boolean(flags.config ?? env.INSTAGATE_CONFIG));
  const pick = (flag, envName, key) => flags[flag] ?? (env[envName] || undefined) ?? file[key];
  const product = pick('product', 'INSTAGATE_PRODUCT', 'product');
  if (product !== undefined && product !== 'instagram' && product !== 'facebook') {
    throw usage(`product must be "instagram" or "facebook", got "${product}"`, 'set --product or INSTAGATE_PRODUCT');
  }
  const scopes = pick('scopes', 'INSTAGATE_SCOPES', 'scopes');
  const endpoints = { ...(file.endpoints ?? {}) };
  for (const [key, name] of [['authorizeBase', 'INSTAGATE_AUTHORIZE_BASE'], ['tokenBase', 'INSTAGATE_TOKEN_BASE'], ['graphBase', 'INSTAGATE_GRAPH_BASE']]) {
    if (env[name]) endpoints[key] = env[name];
  }
  const secretFile = flags['client-secret-file'] ?? env.INSTAGATE_CLIENT_SECRET_FILE ?? file.clientSecretFile;
  // Read on first use and kept: the start-up (appsecret_proof) and the command
  // (requireSecret) both ask for it. A failed read is not kept, so it is raised
  // again where a command needs the secret.
  let secret;
  return {
    configDir: dir,
    configPath,
    product,
    clientId: pick('client-id', 'INSTAGATE_CLIENT_ID', 'clientId'),
    redirectUri: pick('redirect-uri', 'INSTAGATE_REDIRECT_URI', 'redirectUri'),
    scopes: typeof scopes === 'string' ? splitScopes(scopes) : scopes,
    graphVersion: env.INSTAGATE_GRAPH_VERSION || file.graphVersion,
    configId: env.INSTAGATE_CONFIG_ID || file.configId,
    standinOrigin: env.INSTAGATE_STANDIN_ORIGIN || file.standinOrigin,
    endpoints: Object.keys(endpoints).length ? endpoints : undefined,
    clientSecret: () => (secret ??= env.INSTAGATE_CLIENT_SECRET || (secretFile ? readSecretFile(secretFile) : file.clientSecret)),
    storePath: flags.store ?? env.INSTAGATE_STORE ?? file.store ?? join(dir, 'tokens.json'),
    keyFile: flags['key-file'] ?? env.INSTAGATE_KEY_FILE ?? file.keyFile ?? join(dir, 'store.key'),
    key: env.INSTAGATE_KEY || undefined,
    // An instagate Worker that stages local images for Meta (`publish image ./x.jpg`).
    workerUrl: pick('worker', 'INSTAGATE_WORKER_URL', 'workerUrl'),
  };
}

// Token calls (refresh, profile, publish) do not use the app ID or the
// redirect URI, but the library validates a whole config: when neither the
// settings nor the stored account know them, these stand in for them.
const UNUSED_CLIENT_ID = '0';
const UNUSED_REDIRECT_URI = 'http://127.0.0.1/unused';

/**
 * The redirect URI of `login` and `auth-url` when none is set: the same for
 * both, so the one URI registered with the app serves either flow.
 */
export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8765/callback';

/**
 * The library config for `product`. `forLogin`: the app ID and redirect URI
 * must be real (they go to Meta); otherwise the account's remembered ones or
 * placeholders do.
 */
export function libraryConfig(settings, { product, account = null, forLogin = false, redirectUri } = {}) {
  const chosen = product ?? account?.product ?? settings.product;
  if (!chosen) throw usage('which login product?', 'set --product instagram|facebook or INSTAGATE_PRODUCT');
  const clientId = settings.clientId ?? account?.clientId ?? (forLogin ? undefined : UNUSED_CLIENT_ID);
  const redirect = redirectUri ?? settings.redirectUri ?? account?.redirectUri ?? (forLogin ? undefined : UNUSED_REDIRECT_URI);
  if (!clientId) throw usage('the app ID is not set', 'set --client-id or INSTAGATE_CLIENT_ID (the numeric App ID from the Meta App Dashboard)');
  if (!redirect) throw usage('the redirect URI is not set', 'set --redirect-uri or INSTAGATE_REDIRECT_URI (as registered with the app)');
  const config = { product: chosen, clientId: String(clientId), redirectUri: redirect };
  if (settings.scopes) config.scopes = settings.scopes;
  if (settings.graphVersion) config.graphVersion = settings.graphVersion;
  // Facebook Login for Business's saved configuration (Facebook Login only).
  if (settings.configId && chosen === 'facebook') config.configId = settings.configId;
  if (settings.standinOrigin) config.standinOrigin = settings.standinOrigin;
  if (settings.endpoints) config.endpoints = settings.endpoints;
  return config;
}

/** The app secret, or a usage error saying where to put it. */
export function requireSecret(settings) {
  const secret = settings.clientSecret();
  if (!secret) {
    throw usage('this command needs the app secret',
      'set INSTAGATE_CLIENT_SECRET, or --client-secret-file / INSTAGATE_CLIENT_SECRET_FILE (never a flag value: it would show in `ps` and shell history)');
  }
  return secret;
}
