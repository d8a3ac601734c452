/**
 * The file piscina loads in each worker thread of `prepare`. It is CommonJS on purpose: piscina
 * loads a task file with require() first, and on Node 20 require() of the ES module worker
 * (require(esm)) could abort the process ("v8::Module::IsGraphAsync must be used on an
 * instantiated module", a race in Node's loader). Here require() meets plain CommonJS, and the
 * ES module code is loaded once, by import(), the loader's own path.
 */
type Worker = typeof import('./prepare-worker.js');
let worker: Promise<Worker> | undefined;

module.exports = async function run(tasks: Parameters<Worker['default']>[0]): Promise<unknown> {
  worker ??= import('./prepare-worker.js');
  const { default: read } = await worker;
  return read(tasks);
};
