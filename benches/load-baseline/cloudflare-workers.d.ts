// The part of the `cloudflare:workers` module that worker.ts uses, for the
// type check in tests/load/run.sh (tsc with the DOM's Request/Response;
// @cloudflare/workers-types would redeclare them).
declare module 'cloudflare:workers' {
  interface DurableObjectStorage {
    get<T = unknown>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<boolean>;
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number | Date): Promise<void>;
  }
  interface DurableObjectState {
    readonly storage: DurableObjectStorage;
  }
  /** A Durable Object class; its public methods are callable over RPC. */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
}
