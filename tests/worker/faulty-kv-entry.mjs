// faulty-kv-entry.mjs — a test-only entry module loaded by miniflare in front of
// the built Worker (build/index.js): it hands the Worker, and its account
// objects (the Durable Object class), an INSTAGATE_KV that fails or slows
// chosen operations, so the suite can prove what the Worker answers and what
// it leaves in KV when Workers KV errors or is slow. The rules live in a
// second namespace, KV_FAULTS (key "rules"), which tests write through
// miniflare; a Worker invocation reads them once, an object at every
// operation (it outlives invocations). A rule
//   {op: "get"|"put"|"delete"|"list"|"*", prefix: "token:"}
// fails every matching operation (the key, or the listing's prefix, starts
// with `prefix`) with a rejected promise, as Workers KV rejects on errors;
// with `delayMs` it delays the matching operations instead (latency, the
// window in which two invocations race).
import Worker, { AccountObject as BuiltAccountObject } from './index.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function faulty(kv, rulesOf) {
  const matches = (r, op, key) => (r.op === op || r.op === '*') && String(key).startsWith(r.prefix ?? '');
  const guard = async (op, key, call) => {
    const rules = await rulesOf();
    const delay = rules.find((r) => r.delayMs && matches(r, op, key));
    if (delay) await sleep(delay.delayMs);
    if (rules.some((r) => !r.delayMs && matches(r, op, key))) {
      throw new Error(`injected KV ${op} failure on ${key}`);
    }
    return call();
  };
  return {
    get: (key, opts) => guard('get', key, () => kv.get(key, opts)),
    getWithMetadata: (key, opts) => guard('get', key, () => kv.getWithMetadata(key, opts)),
    put: (key, value, opts) => guard('put', key, () => kv.put(key, value, opts)),
    delete: (key) => guard('delete', key, () => kv.delete(key)),
    list: (opts = {}) => guard('list', opts.prefix ?? '', () => kv.list(opts)),
  };
}

const readRules = async (env) => JSON.parse((await env.KV_FAULTS.get('rules')) ?? '[]');

function wrapOnce(env) {
  const rules = readRules(env);
  return { ...env, INSTAGATE_KV: faulty(env.INSTAGATE_KV, () => rules) };
}

export class AccountObject extends BuiltAccountObject {
  constructor(state, env) {
    super(state, { ...env, INSTAGATE_KV: faulty(env.INSTAGATE_KV, () => readRules(env)) });
  }
}

export default {
  async fetch(request, env, ctx) {
    return Worker.fetch(request, wrapOnce(env), ctx);
  },
  async scheduled(event, env, ctx) {
    return Worker.scheduled(event, wrapOnce(env), ctx);
  },
};
