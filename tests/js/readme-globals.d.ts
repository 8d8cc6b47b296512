// What the README examples take from the reader's own app, declared for
// scripts/readme-examples.mjs (which type-checks those examples under
// --strict). Only values a snippet says come from elsewhere belong here;
// anything the package gives must come from its own imports.

/** Node's `process.env`: every variable may be unset. */
declare const process: { env: Record<string, string | undefined> };

/** The config a previous example built (each README opens with one). */
declare const config: import('instagate').InstagateConfig;
/** The app secret, read on the server. */
declare const clientSecret: string;
/** The callback URL the browser landed on, and the state saved when the login started. */
declare const callbackUrl: string;
declare const expectedState: string;
/** What completeLogin gave the browser, posted to the backend. */
declare const code: string;
declare const state: string;
declare const codeVerifier: string;
/** A stored token record and account (a previous connectAccount). */
declare const record: import('instagate').TokenRecord;
declare const accessToken: string;
declare const igUserId: string;
/** Media and caption of the publishing examples. */
declare const videoUrl: string;
declare const imageUrl: string;
declare const caption: string;
declare const coverUrl: string;
/** A local video's bytes (fs.readFile, a File from a file input). */
declare const clip: Uint8Array;
/** The reader's own scheduler. */
declare function sleepUntil(time: string | null): Promise<void>;
