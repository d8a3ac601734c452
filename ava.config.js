// Tests are written in TypeScript under test/ and run compiled. SKELACT_DIST lets several
// developers build into separate folders (dist-<name>/) without clobbering each other.
const dist = process.env.SKELACT_DIST ?? 'dist';
export default {
  files: [`${dist}/test/**/*.test.js`],
  timeout: '5m',
  workerThreads: false,
};
