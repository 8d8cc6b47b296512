#!/usr/bin/env node
// The `instagate` command (the npm package's bin): keeps Instagram access
// tokens alive from a terminal, a cron job or a CI pipeline, over the
// package's public API (../node.js). This file dispatches; each concern has
// its own module: args (command line, help), settings (flags/env/config
// file), store + seal (the encrypted token file), loopback (login's callback
// server), commands/* (what each command does), errors (exit codes, advice).
import { readFileSync } from 'node:fs';
import { parseCommandLine, mainHelp, commandHelp, intFlag } from './args.mjs';
import { loadSettings } from './settings.mjs';
import { openStore } from './store.mjs';
import { installClock } from './clock.mjs';
import { EXIT, usage, exitCodeFor, describeError } from './errors.mjs';
import { out, err } from './output.mjs';
import { authUrl, login, exchange, importToken } from './commands/auth.mjs';
import { status, validate, refresh, exportEnv } from './commands/tokens.mjs';
import { publish } from './commands/publish.mjs';

const RUN = {
  'auth-url': authUrl, login, exchange, import: importToken, status, validate, refresh, publish, export: exportEnv,
};

async function main(argv, env) {
  const { command, flags, positionals } = parseCommandLine(argv);
  if (flags.help) {
    out(command ? commandHelp(command) : mainHelp());
    return EXIT.OK;
  }
  if (command === 'version') {
    out(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
    return EXIT.OK;
  }
  try {
    installClock(env);
  } catch (e) {
    throw usage(e.message);
  }
  const settings = loadSettings(flags, env);
  const timeoutMs = intFlag(flags, 'timeout-ms', undefined, { min: 1 });
  let store = null;
  // With the app secret configured, Facebook Login's Graph calls are signed
  // with appsecret_proof (apps with "Require App Secret"); it goes only into
  // library calls, never into the store or the output.
  let clientSecret;
  try { clientSecret = settings.clientSecret() || undefined; } catch { clientSecret = undefined; }
  const ctx = {
    flags, positionals, settings, env,
    call: { ...(timeoutMs ? { timeoutMs } : {}), ...(clientSecret ? { clientSecret } : {}) },
    openStore: async () => (store ??= await openStore(settings, env)),
  };
  return RUN[command](ctx);
}

main(process.argv.slice(2), process.env).then(
  (code) => { process.exitCode = code; },
  (error) => {
    for (const line of describeError(error)) err(line);
    process.exitCode = exitCodeFor(error);
  },
);
