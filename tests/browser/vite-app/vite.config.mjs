// `instagate` resolves to the built pkg/ as if it were installed.
import { fileURLToPath } from 'node:url';

export default {
  resolve: { alias: { instagate: fileURLToPath(new URL('../../../pkg', import.meta.url)) } },
  logLevel: 'warn',
};
