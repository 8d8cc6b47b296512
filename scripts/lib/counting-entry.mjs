// counting-entry.mjs — a benchmark-only entry module loaded by miniflare in
// front of the built Worker (build/index.js), as tests/worker/faulty-kv-entry.mjs
// is: it counts the Workers KV operations of the Worker's own invocations and
// of its account objects (the Durable Object class) separately, and the calls
// the Worker makes to its objects. `GET /__counts` answers the counts since
// the last such call and starts new ones (it is answered here, never by the
// Worker). The Worker and its objects run in one isolate under miniflare, so
// one module-level tally sees both.
import Worker, { AccountObject as BuiltAccountObject } from './index.js';

let counts;
const resetCounts = () => {
  counts = { worker_kv: 0, object_kv: 0, object_calls: 0 };
};
resetCounts();

function counted(kv, field) {
  const count = (call) => {
    counts[field] += 1;
    return call();
  };
  return {
    get: (key, opts) => count(() => kv.get(key, opts)),
    getWithMetadata: (key, opts) => count(() => kv.getWithMetadata(key, opts)),
    put: (key, value, opts) => count(() => kv.put(key, value, opts)),
    delete: (key) => count(() => kv.delete(key)),
    list: (opts) => count(() => kv.list(opts)),
  };
}

class DurableObjectNamespace {
  constructor(inner) {
    this.inner = inner;
  }
  idFromName(name) {
    return this.inner.idFromName(name);
  }
  idFromString(id) {
    return this.inner.idFromString(id);
  }
  newUniqueId(options) {
    return this.inner.newUniqueId(options);
  }
  get(id, options) {
    const stub = this.inner.get(id, options);
    const call = (method) => (...args) => {
      counts.object_calls += 1;
      return stub[method](...args);
    };
    // The Worker calls the object's `work` over RPC (src/worker/bridge.js);
    // builds from before that called its `fetch`.
    return { id: stub.id, name: stub.name, work: call('work'), fetch: call('fetch') };
  }
}

const wrap = (env) => ({
  ...env,
  INSTAGATE_KV: counted(env.INSTAGATE_KV, 'worker_kv'),
  ACCOUNT_OBJECTS: new DurableObjectNamespace(env.ACCOUNT_OBJECTS),
});

export class AccountObject extends BuiltAccountObject {
  constructor(state, env) {
    super(state, { ...env, INSTAGATE_KV: counted(env.INSTAGATE_KV, 'object_kv') });
  }
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/__counts') {
      const answer = Response.json(counts);
      resetCounts();
      return answer;
    }
    return Worker.fetch(request, wrap(env), ctx);
  },
  async scheduled(event, env, ctx) {
    return Worker.scheduled(event, wrap(env), ctx);
  },
};
