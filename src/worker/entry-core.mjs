// The Worker's entry logic over the wasm-bindgen glue: the module-syntax
// `fetch` and `scheduled` handlers, the `AccountObject` Durable Object
// class, and starting a fresh wasm instance after a Rust panic or a trap.
// entry.mjs hands it the real glue; tests/worker/entry.test.mjs a fake one.
//
// The handlers are methods of one object, called by the runtime with
// (request, env, ctx): nothing is constructed per request (worker-build's
// entry built a WorkerEntrypoint and a Proxy around it for each request,
// and a Proxy per method read; docs/performance.md). The glue instantiates
// the wasm once, when the module is evaluated.
//
// After a trap. With panic = "abort" a Rust panic ends in a wasm trap
// (workers-rs's panic hook logs it first, src: worker's init.rs). The
// glue's call wrappers see every trap that leaves a wasm call, mark the
// instance terminated and, through the abort handler workers-rs installs,
// schedule a fresh instance at the next call into wasm. Two gaps remain,
// and this module closes them:
// - a wasm object made by the old instance (the Durable Object's Rust half)
//   would be used with its old pointer in the new instance: each object
//   call first lets the glue replace a terminated instance (a no-op call
//   into wasm), then rebuilds the Rust half when the instance changed
//   (`instanceId`, counted by workers-rs at each instance start);
// - should the abort handler itself fail, the glue would refuse every call
//   ("Module terminated") for the isolate's life: so any exception thrown
//   by a call into wasm replaces the instance here at once. None of the
//   calls made here throws on purpose (fetch answers every error with a
//   Response; the object's methods and `scheduled` report theirs through
//   their promise), so a thrown exception is a broken instance.
// A trap inside a later poll of an async answer leaves that request's
// promise unsettled (the runtime answers it with an error) and the next
// call starts a fresh instance, as above.

/**
 * @param {object} glue the wasm-bindgen module: handleFetch, scheduled,
 *   AccountObject, __worker_init_state, __wbg_reset_state
 * @param {Function} DurableObjectBase `DurableObject` from
 *   `cloudflare:workers` (its subclasses' methods are callable over RPC);
 *   tests pass a plain class
 */
export function makeEntry(glue, DurableObjectBase) {
  // workers-rs's { criticalError, instanceId } (the same object across
  // instances: it lives in the glue's JS).
  const initState = glue.__worker_init_state();

  /** Calls into wasm; a thrown exception means the instance is broken. */
  function guarded(call) {
    try {
      return call();
    } catch (e) {
      restart(e);
      throw e;
    }
  }

  function restart(cause) {
    console.error('instagate: the wasm instance failed; starting a fresh one:', cause);
    glue.__wbg_reset_state();
    initState.criticalError = false;
  }

  const handlers = {
    // `async`: the answer is often a Response already (handleFetch answers
    // without I/O synchronously), yet workerd handles a handler's promise
    // faster than a Response returned as it is (scripts/profile-worker.mjs
    // --route health: 3.01 against 3.58 ms wall, 1.23 against 1.31 ms
    // workerd CPU per request, same run; docs/performance.md).
    async fetch(request, env, ctx) {
      return guarded(() => glue.handleFetch(request, env, ctx));
    },
    scheduled(event, env, ctx) {
      return guarded(() => glue.scheduled(event, env, ctx));
    },
  };

  /** The account's Durable Object: the Rust object, rebuilt after the
   * instance that made it was replaced. The Worker calls `work` over RPC
   * (bridge.js `callObject`). */
  class AccountObject extends DurableObjectBase {
    #state;
    #env;
    #inner;
    #instance;

    constructor(state, env) {
      super(state, env);
      this.#state = state;
      this.#env = env;
      this.#current();
    }

    /** The Rust object of the current instance. */
    #current() {
      // A call into wasm: the glue replaces a terminated instance before it
      // (or refuses, and a fresh one is started here).
      try {
        glue.__worker_init_state();
      } catch (e) {
        restart(e);
      }
      if (this.#inner === undefined || this.#instance !== initState.instanceId) {
        this.#inner = guarded(() => new glue.AccountObject(this.#state, this.#env));
        this.#instance = initState.instanceId;
      }
      return this.#inner;
    }

    /** One `{account, work}` message (JSON text) → the reply's JSON text;
     * the Rust half answers every failure with an error reply. */
    work(message) {
      const inner = this.#current();
      return guarded(() => inner.work(message));
    }

    /** The same message as a POST body: how a Worker of an earlier version
     * (before `work` was called over RPC) reaches the object during a
     * deploy. */
    async fetch(request) {
      const reply = await this.work(await request.text());
      return new Response(reply, { headers: { 'content-type': 'application/json' } });
    }

    alarm() {
      const inner = this.#current();
      return guarded(() => inner.alarm());
    }
  }

  return { handlers, AccountObject };
}
