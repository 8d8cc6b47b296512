// Shared by the CLI suites: runs the real `instagate` bin (pkg/cli/instagate.mjs)
// as a child process, with an environment made only of what the test gives
// (nothing INSTAGATE_* leaks in from the caller), against the stand-in.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandin } from '../standin/server.mjs';

export const BIN = fileURLToPath(new URL('../../pkg/cli/instagate.mjs', import.meta.url));
export const CLIENT_ID = '1000000000000001';
export const CLIENT_SECRET = 'standin-app-secret';
export const REDIRECT_URI = 'http://127.0.0.1:8787/auth/callback';
export const DAY_S = 86_400;

/** A stand-in and a private temp directory (HOME and XDG_CONFIG_HOME) per test. */
export async function setup(t, standinOptions = {}) {
  const standin = await startStandin({ port: 0, ...standinOptions });
  const dir = await mkdtemp(join(tmpdir(), 'instagate-cli-'));
  t.after(async () => {
    await standin.close();
    await rm(dir, { recursive: true, force: true });
  });
  const configDir = join(dir, 'config', 'instagate');
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    INSTAGATE_STANDIN_ORIGIN: standin.url,
    INSTAGATE_CLIENT_ID: CLIENT_ID,
    INSTAGATE_CLIENT_SECRET: CLIENT_SECRET,
    INSTAGATE_PRODUCT: 'instagram',
  };
  return {
    standin, dir, configDir, env,
    storePath: join(configDir, 'tokens.json'),
    keyPath: join(configDir, 'store.key'),
    /** Runs the CLI; `env` entries set to undefined are removed. */
    run: (args, opts = {}) => run(args, { ...opts, env: { ...env, ...opts.env } }),
    /** The configured directory's files (to check nothing was written). */
    files: async () => (await readdir(configDir).catch(() => [])).sort(),
  };
}

export function spawnCli(args, { env = {}, input } = {}) {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
  const child = spawn(process.execPath, [BIN, ...args], { env: clean, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  child.stdin.end(input ?? '');
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr, stdout: () => stdout };
}

export const run = (args, opts) => spawnCli(args, opts).done;

/** Waits until the running CLI has printed a line matching `re` on stderr. */
export async function waitForStderr(proc, re, timeoutMs = 10_000) {
  const start = Date.now();
  for (;;) {
    const m = re.exec(proc.stderr());
    if (m) return m;
    if (Date.now() - start > timeoutMs) throw new Error(`no ${re} on stderr within ${timeoutMs} ms; stderr so far:\n${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The login URL a `login --no-browser` run printed. */
export const loginUrl = async (proc) => (await waitForStderr(proc, /^\s+(http\S+)$/m))[1];

/**
 * Plays the person at the stand-in's consent page: reads the HTML form and
 * submits it as a browser would (hidden fields, ticked permissions, the
 * chosen account, Allow or Deny). Returns the 302's Location.
 */
export async function submitConsentForm(url, { decision = 'allow', account } = {}) {
  const page = await fetch(url);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${html.slice(0, 300)}`);
  const action = /<form method="POST" action="([^"]+)">/.exec(html)?.[1];
  if (!action) throw new Error(`no consent form in:\n${html.slice(0, 500)}`);
  const unescape = (v) => v.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))).replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  const form = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.append(unescape(name), unescape(value));
  for (const [, value] of html.matchAll(/<input type="checkbox" name="grant" value="([^"]+)" checked>/g)) form.append('grant', unescape(value));
  const chosen = account ?? /<input type="radio" name="account" value="([^"]+)" checked>/.exec(html)?.[1];
  form.append('account', chosen);
  form.append('decision', decision);
  const posted = await fetch(new URL(action, url), { method: 'POST', body: form, redirect: 'manual' });
  if (posted.status !== 302) throw new Error(`consent form answered ${posted.status}: ${(await posted.text()).slice(0, 300)}`);
  return posted.headers.get('location');
}

/**
 * Plays the browser: the consent page (its form submitted, or decided at
 * once through the control API with `via: 'control'`), then the 302 to the
 * CLI's loopback server. Returns the loopback's answer.
 */
export async function browse(standin, url, { decision = 'allow', account, via = 'form' } = {}) {
  let callback;
  if (via === 'form') {
    callback = await submitConsentForm(url, { decision, account });
  } else {
    standin.control.consent({ decision, ...(account ? { account } : {}) });
    try {
      const consent = await fetch(url, { redirect: 'manual' });
      if (consent.status !== 302) throw new Error(`consent page answered ${consent.status}`);
      callback = consent.headers.get('location');
    } finally {
      standin.control.consent(null);
    }
  }
  const page = await fetch(callback);
  return { callback, status: page.status, html: await page.text() };
}

/** The consent step alone: the URL Meta would redirect to (for `exchange`). */
export async function consentRedirect(standin, url, opts) {
  standin.control.consent({ decision: 'allow', ...opts });
  try {
    const response = await fetch(url, { redirect: 'manual' });
    if (response.status !== 302) throw new Error(`consent page answered ${response.status}`);
    return response.headers.get('location');
  } finally {
    standin.control.consent(null);
  }
}

/** Every token string the stand-in has issued (to check none is printed or stored in clear). */
export const issuedTokens = (standin) => standin.control.state().tokens.map((t) => t.token ?? t.access_token ?? t.string).filter(Boolean);

export const readText = (path) => readFile(path, 'utf8');

export const fail = (r) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
