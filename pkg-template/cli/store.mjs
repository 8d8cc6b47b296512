// The token store: accounts (token records and what is known about them) and
// pending logins (state + PKCE verifier between `auth-url` and `exchange`).
// Three places it can live:
//   file  — sealed (seal.mjs) at settings.storePath, mode 0600, replaced
//           atomically (temp file + fsync + rename), so a crash or a failed
//           write leaves the previous tokens intact;
//   env   — headless: INSTAGATE_STORE_DATA holds a sealed store (from
//           `export --sealed`), INSTAGATE_KEY its key; changes stay in memory
//           and are printed when asked (`refresh --print-env`);
//   token — headless: INSTAGATE_TOKEN (+ INSTAGATE_IG_USER_ID, ...) is one
//           account, unencrypted in the CI's secret store.
// A store that cannot be opened (no key, wrong key, damaged) is never written.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open as openFile, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { seal, openKeepingKey, deriveKey, newKey, SealError } from './seal.mjs';
import { storeError, usage } from './errors.mjs';

const EMPTY = () => ({ version: 1, accounts: [], pending: [] });
// A pending login is of no use after Meta's code lifetime (1 h at most).
const PENDING_TTL_MS = 60 * 60 * 1000;

async function readIfExists(path) {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw storeError(`cannot read ${path}: ${e.code ?? e.message}`);
  }
}

async function writeAtomic(path, text) {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await openFile(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await handle.close();
  await rename(tmp, path);
  // The rename itself must reach the disk before the old token is considered gone.
  const dir = await openFile(dirname(path), 'r').catch(() => null);
  if (dir) await dir.sync().catch(() => {}).finally(() => dir.close());
}

function checkShape(data, where) {
  if (!data || typeof data !== 'object' || !Array.isArray(data.accounts) || !Array.isArray(data.pending)) {
    throw storeError(`${where} decrypts but does not hold a token store`, 'restore it from a backup, or move it away and log in again');
  }
  return data;
}

function sealErrorToCli(e, where, keySource) {
  if (!(e instanceof SealError)) throw e;
  if (e.reason === 'key') {
    return storeError(`${where} cannot be opened: ${e.message}`,
      `use the key it was written with (${keySource}); nothing was changed`);
  }
  return storeError(`${where} is damaged: ${e.message}`,
    'it was left as it is: restore it from a backup, or move it away and log in again');
}

class Store {
  constructor({ mode, data, path = null, key = null, derived = null, keySource = '', original = null, keyFile = null, createKeyFile = false }) {
    Object.assign(this, { mode, data, path, key, derived, keySource, original, keyFile, createKeyFile });
    this.changed = false;
  }

  /** The derived key to seal with: the one the store opened with, else one new derivation per run. */
  sealingKey() {
    this.derived ??= deriveKey(this.key);
    return this.derived;
  }

  get accounts() { return this.data.accounts; }

  /** The account `selector` names (IG user ID, username or product:id), or the only one. */
  find(selector) {
    const all = this.data.accounts;
    if (!selector) {
      if (all.length === 1) return all[0];
      if (all.length === 0) throw usage('no account is stored', 'run `instagate login`, `exchange` or `import` first (or set INSTAGATE_TOKEN)');
      throw usage(`${all.length} accounts are stored: choose one with --account`, `one of: ${all.map(label).join(', ')}`);
    }
    const matches = all.filter((a) => [a.igUserId, a.username, `${a.product}:${a.igUserId}`, `${a.product}:${a.username}`].includes(selector));
    if (matches.length === 1) return matches[0];
    if (matches.length === 0) throw usage(`no stored account matches "${selector}"`, `stored: ${all.map(label).join(', ') || 'none'}`);
    throw usage(`"${selector}" matches ${matches.length} accounts`, `use product:id, one of: ${matches.map(label).join(', ')}`);
  }

  /** Selected accounts: one with --account, else all. */
  select(selector) {
    return selector ? [this.find(selector)] : [...this.data.accounts];
  }

  upsert(account) {
    const i = this.data.accounts.findIndex((a) => a.product === account.product && a.igUserId === account.igUserId);
    if (i >= 0) this.data.accounts[i] = account;
    else this.data.accounts.push(account);
    this.changed = true;
  }

  addPending(pending, nowMs) {
    this.data.pending = this.data.pending.filter((p) => nowMs - Date.parse(p.createdAt) < PENDING_TTL_MS);
    this.data.pending.push(pending);
    this.changed = true;
  }

  /** The pending login with this state, or the newest one; removed from the store. */
  takePending(state, nowMs) {
    const live = this.data.pending.filter((p) => nowMs - Date.parse(p.createdAt) < PENDING_TTL_MS);
    const found = state ? live.find((p) => p.state === state) : live.at(-1);
    if (found) {
      this.data.pending = this.data.pending.filter((p) => p !== found);
      this.changed = true;
    }
    return found ?? null;
  }

  /** Writes the store (file mode); in the headless modes the change stays in memory. */
  async save() {
    if (!this.changed || this.mode !== 'file') return;
    if (this.createKeyFile) {
      await mkdir(dirname(this.keyFile), { recursive: true, mode: 0o700 });
      const handle = await openFile(this.keyFile, 'wx', 0o600).catch((e) => {
        throw storeError(`cannot create the key file ${this.keyFile}: ${e.code ?? e.message}`);
      });
      await handle.writeFile(`${this.key}\n`);
      await handle.sync();
      await handle.close();
      this.createKeyFile = false;
      process.stderr.write(`instagate: created the store key ${this.keyFile} (mode 0600); keep it apart from backups of ${this.path}\n`);
    }
    // Someone else (a second cron run) may have written since this run read
    // the store: refuse rather than overwrite their tokens with older ones.
    const current = await readIfExists(this.path);
    if (current !== this.original) {
      throw storeError(`${this.path} changed while this command ran`, 'run the command again');
    }
    const text = seal(this.data, this.key, this.sealingKey());
    await writeAtomic(this.path, text);
    this.original = text;
    this.changed = false;
  }

  /** The store sealed under its key, base64url: INSTAGATE_STORE_DATA for headless runs. */
  sealedForEnv() {
    if (!this.key) throw usage('no store key to seal with', 'set INSTAGATE_KEY');
    return Buffer.from(seal(this.data, this.key, this.sealingKey())).toString('base64url');
  }
}

export const label = (a) => `${a.username ?? '?'} (${a.product}:${a.igUserId ?? '?'})`;

async function readKeyFile(path) {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw storeError(`cannot read the key file ${path}: ${e.code ?? e.message}`);
  }
  const { mode } = await stat(path);
  if (mode & 0o077) process.stderr.write(`instagate: warning: ${path} is readable by others; chmod 600 it\n`);
  const key = text.trim();
  if (!key) throw storeError(`the key file ${path} is empty`);
  return key;
}

function checkKeyMaterial(key, source) {
  if (key.length < 16) throw storeError(`${source} is too short (${key.length} characters)`, 'use at least 16 characters; a random 32-byte key (`openssl rand -base64 32`) is best');
  return key;
}

/** One account from INSTAGATE_TOKEN and friends (headless, no file). */
function accountFromEnv(env, settings) {
  const product = settings.product ?? 'instagram';
  const kind = env.INSTAGATE_TOKEN_KIND || (product === 'facebook' ? 'facebook_page' : 'instagram_long_lived');
  const igUserId = env.INSTAGATE_IG_USER_ID || null;
  if (product === 'facebook' && !igUserId) {
    throw usage('INSTAGATE_TOKEN with Facebook Login needs INSTAGATE_IG_USER_ID', 'set it to the Instagram account ID (`instagate export` prints it)');
  }
  const expiresAt = env.INSTAGATE_TOKEN_EXPIRES_AT || null;
  return {
    product, igUserId, username: env.INSTAGATE_USERNAME || null, clientId: settings.clientId ?? null,
    redirectUri: settings.redirectUri ?? null,
    token: {
      accessToken: env.INSTAGATE_TOKEN, kind,
      // Unknown issue time: the epoch, so the library's "24 hours old" check lets Meta decide.
      issuedAt: env.INSTAGATE_TOKEN_ISSUED_AT || new Date(0).toISOString(),
      expiresAt, scopes: [], igUserId,
    },
    expiryUnknown: !expiresAt && kind !== 'facebook_page',
    page: null, source: 'env', lastRefresh: null, lastValidate: null,
  };
}

/** Opens the store this run uses (see the top of this file). */
export async function openStore(settings, env) {
  if (env.INSTAGATE_TOKEN) {
    return new Store({ mode: 'token', data: { ...EMPTY(), accounts: [accountFromEnv(env, settings)] } });
  }
  if (env.INSTAGATE_STORE_DATA) {
    if (!settings.key) throw storeError('INSTAGATE_STORE_DATA is set but INSTAGATE_KEY is not', 'set INSTAGATE_KEY to the key the data was sealed with');
    const key = checkKeyMaterial(settings.key, 'INSTAGATE_KEY');
    let opened;
    try {
      opened = openKeepingKey(Buffer.from(env.INSTAGATE_STORE_DATA.trim(), 'base64url').toString('utf8'), key);
    } catch (e) {
      throw sealErrorToCli(e, 'INSTAGATE_STORE_DATA', 'INSTAGATE_KEY');
    }
    return new Store({ mode: 'env', data: checkShape(opened.value, 'INSTAGATE_STORE_DATA'), key, derived: opened.derived, keySource: 'INSTAGATE_KEY' });
  }
  const path = settings.storePath;
  const text = await readIfExists(path);
  let key = settings.key ? checkKeyMaterial(settings.key, 'INSTAGATE_KEY') : null;
  const keySource = settings.key ? 'INSTAGATE_KEY' : `the key file ${settings.keyFile}`;
  let createKeyFile = false;
  if (!key) {
    key = await readKeyFile(settings.keyFile);
    if (key) checkKeyMaterial(key, `the key file ${settings.keyFile}`);
  }
  if (text === null) {
    // A new store: its key is made on the first write (unless INSTAGATE_KEY is set).
    if (!key) {
      key = newKey();
      createKeyFile = true;
    }
    return new Store({ mode: 'file', data: EMPTY(), path, key, keySource, original: null, keyFile: settings.keyFile, createKeyFile });
  }
  if (!key) {
    throw storeError(`${path} is encrypted and no key was found (no INSTAGATE_KEY, no key file ${settings.keyFile})`,
      'set INSTAGATE_KEY or INSTAGATE_KEY_FILE / --key-file to the key it was written with');
  }
  let opened;
  try {
    opened = openKeepingKey(text, key);
  } catch (e) {
    throw sealErrorToCli(e, path, keySource);
  }
  // Keep the file private even if someone loosened it.
  await chmod(path, 0o600).catch(() => {});
  return new Store({
    mode: 'file', data: checkShape(opened.value, path), path, key, derived: opened.derived, keySource, original: text, keyFile: settings.keyFile,
  });
}
