// The Worker's JS entry (src/worker/entry-core.mjs) over a fake wasm-bindgen
// glue: answers pass through untouched (a Response as it is, a promise as
// it is), and after a trap (a Rust panic ends in one) the isolate does not
// keep serving from the broken instance: a fresh one is started, and the
// Durable Object's Rust half is rebuilt in it. No workerd needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeEntry } from '../../src/worker/entry-core.mjs';

/** A glue whose instance can be made to trap; counts instances and objects. */
function fakeGlue() {
  const initState = { criticalError: false, instanceId: 1 };
  const glue = {
    instances: 1,
    trapNext: false,
    terminated: false,
    built: [],
    __worker_init_state() {
      glue.enter();
      return initState;
    },
    __wbg_reset_state() {
      glue.instances += 1;
      glue.terminated = false;
      initState.instanceId += 1;
    },
    // The glue's call guard: a terminated instance refuses calls.
    // `trapNext`: true (the next call), or the name of the call to trap in.
    enter(name) {
      if (glue.terminated) throw new Error('Module terminated');
      if (glue.trapNext === true || glue.trapNext === name) {
        glue.trapNext = false;
        glue.terminated = true;
        initState.criticalError = true;
        throw new WebAssembly.RuntimeError('unreachable');
      }
    },
    handleFetch(request) {
      glue.enter();
      return request.sync ? { answer: request.path } : Promise.resolve({ answer: request.path });
    },
    scheduled() {
      glue.enter();
      return Promise.resolve();
    },
    AccountObject: class {
      constructor(state, env) {
        glue.enter();
        this.instance = initState.instanceId;
        glue.built.push({ state, env, instance: this.instance });
      }
      // The Rust half answers JSON text.
      work(message) {
        glue.enter('object.work');
        return Promise.resolve(JSON.stringify({ object: this.instance, message }));
      }
      alarm() {
        glue.enter();
        return Promise.resolve('alarm');
      }
    },
  };
  return { glue, initState };
}

const quiet = (t) => t.mock.method(console, 'error', () => {});

/** Stands in for `DurableObject` from `cloudflare:workers`. */
class FakeDurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

/** The object's `work` answer, read. */
const worked = async (object, message) => JSON.parse(await object.work(message));

test('answers pass through, ready or pending', async () => {
  const { glue } = fakeGlue();
  const { handlers } = makeEntry(glue, FakeDurableObject);
  assert.deepEqual(await handlers.fetch({ sync: true, path: '/health' }, {}, {}), { answer: '/health' });
  assert.deepEqual(await handlers.fetch({ sync: false, path: '/auth/callback' }, {}, {}), { answer: '/auth/callback' });
  await handlers.scheduled({}, {}, {});
  assert.equal(glue.instances, 1);
});

test('a trap fails that request, and the next one is served by a fresh instance', async (t) => {
  quiet(t);
  const { glue, initState } = fakeGlue();
  const { handlers } = makeEntry(glue, FakeDurableObject);
  glue.trapNext = true;
  await assert.rejects(handlers.fetch({ sync: true, path: '/boom' }, {}, {}), WebAssembly.RuntimeError);
  assert.equal(glue.instances, 2, 'a fresh instance right after the trap');
  assert.equal(initState.criticalError, false);
  assert.deepEqual(await handlers.fetch({ sync: true, path: '/health' }, {}, {}), { answer: '/health' });
  assert.equal(glue.instances, 2, 'no further restarts');
});

test('the Durable Object is rebuilt with its state and env in the instance that replaced its own', async (t) => {
  quiet(t);
  const { glue } = fakeGlue();
  const { handlers, AccountObject } = makeEntry(glue, FakeDurableObject);
  const state = { id: 'account-1' };
  const env = { ACCOUNT_OBJECTS: {} };
  const object = new AccountObject(state, env);
  assert.ok(object instanceof FakeDurableObject, 'extends the runtime class (RPC needs it)');
  assert.equal(object.ctx, state);
  assert.equal(object.env, env);
  assert.deepEqual(await worked(object, 'a'), { object: 1, message: 'a' });
  // The Worker's fetch traps: the object's Rust half belongs to the dead instance.
  glue.trapNext = true;
  await assert.rejects(handlers.fetch({ sync: true, path: '/boom' }, {}, {}));
  assert.equal((await worked(object, 'b')).object, 2, 'rebuilt in the new instance');
  assert.equal(glue.built.length, 2);
  assert.equal(glue.built[1].state, state);
  assert.equal(glue.built[1].env, env);
  // A trap in the object's own call restarts too, and the alarm runs on the next instance.
  glue.trapNext = 'object.work';
  assert.throws(() => object.work('c'), WebAssembly.RuntimeError);
  assert.equal(await object.alarm(), 'alarm');
  assert.equal(glue.built.at(-1).instance, 3);
});

test('an instance the glue refuses ("Module terminated") is replaced, not kept', async (t) => {
  quiet(t);
  const { glue } = fakeGlue();
  const { handlers, AccountObject } = makeEntry(glue, FakeDurableObject);
  const object = new AccountObject({}, {});
  // A trap whose abort handler failed: the glue refuses every call from now on.
  glue.terminated = true;
  assert.equal((await worked(object, 'x')).object, 2, "the object's call goes to a fresh instance");
  glue.terminated = true;
  await assert.rejects(handlers.fetch({ sync: true, path: '/x' }, {}, {}), /Module terminated/);
  assert.deepEqual(await handlers.fetch({ sync: true, path: '/health' }, {}, {}), { answer: '/health' });
});

test("the object's fetch takes the message as a POST body (a Worker of an earlier version, mid-deploy)", async () => {
  const { glue } = fakeGlue();
  const { AccountObject } = makeEntry(glue, FakeDurableObject);
  const object = new AccountObject({}, {});
  const message = '{"account":"17841400000000001","work":{"work":"wake"}}';
  const answer = await object.fetch(new Request('https://account-object/work', { method: 'POST', body: message }));
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('content-type'), 'application/json');
  assert.deepEqual(await answer.json(), { object: 1, message });
});
