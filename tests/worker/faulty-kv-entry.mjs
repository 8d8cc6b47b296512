// faulty-kv-entry.mjs — a test-only entry module loaded by miniflare in front of
// the built Worker (build/index.js): it hands the Worker an INSTAGATE_KV that
// fails chosen operations, so the suite can prove what the Worker answers and
// what it leaves in KV when Workers KV itself errors. The rules live in a
// second namespace, KV_FAULTS (key "rules"), which tests write through
// miniflare; they are read once per invocation. A rule
//   {op: "get"|"put"|"delete"|"list", prefix: "token:"}
// fails every matching operation (the key, or the listing's prefix, starts
// with `prefix`) with a rejected promise, as Workers KV rejects on errors.
import Worker from './index.js';

function faulty(kv, rules) {
  const fails = (op, key) => rules.some((r) => r.op === op && String(key).startsWith(r.prefix ?? ''));
  const guard = (op, key, call) =>
    fails(op, key) ? Promise.reject(new Error(`injected KV ${op} failure on ${key}`)) : call();
  return {
    get: (key, opts) => guard('get', key, () => kv.get(key, opts)),
    getWithMetadata: (key, opts) => guard('get', key, () => kv.getWithMetadata(key, opts)),
    put: (key, value, opts) => guard('put', key, () => kv.put(key, value, opts)),
    delete: (key) => guard('delete', key, () => kv.delete(key)),
    list: (opts = {}) => guard('list', opts.prefix ?? '', () => kv.list(opts)),
  };
}

async function wrap(env) {
  const rules = JSON.parse((await env.KV_FAULTS.get('rules')) ?? '[]');
  return { ...env, INSTAGATE_KV: faulty(env.INSTAGATE_KV, rules) };
}

export default {
  async fetch(request, env, ctx) {
    return Worker.prototype.fetch.call({ env: await wrap(env), ctx }, request);
  },
  async scheduled(event, env, ctx) {
    return Worker.prototype.scheduled.call({ env: await wrap(env), ctx }, event);
  },
};
