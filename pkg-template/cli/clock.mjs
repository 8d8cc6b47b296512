// The CLI's clock. INSTAGATE_NOW (a test/dev setting) moves it: the whole
// process, wasm included (it reads Date.now), then runs at that time, so
// "due in 20 days" can be tested without waiting. Pair it with the stand-in's
// clock offset so both sides agree.
let offsetMs = 0;

export function installClock(env) {
  const value = env.INSTAGATE_NOW;
  if (!value) return;
  const at = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(at)) throw new Error(`INSTAGATE_NOW must be an ISO time or epoch milliseconds, got ${value}`);
  const realNow = Date.now.bind(Date);
  offsetMs = at - realNow();
  Date.now = () => realNow() + offsetMs;
}

export const now = () => Date.now();
export const nowIso = () => new Date(now()).toISOString();
