import test from 'ava';
import { Rng, deriveSeed, seedFromNumber, stringKey } from '../../src/data/synthetic/index.js';
import { inverseNormalCdf } from '../../src/core/random.js';

test('the same seed gives the same stream, another seed a different one', (t) => {
  const draw = (seed: number): number[] => {
    const rng = new Rng(seed);
    return Array.from({ length: 50 }, () => rng.nextUint32());
  };
  t.deepEqual(draw(7), draw(7));
  t.notDeepEqual(draw(7), draw(8));
  // Neighbouring seeds must not give shifted copies of one stream.
  const a = new Set(draw(1));
  t.true(draw(2).every((v) => !a.has(v)));
});

test('uniform draws lie in [0, 1) and int() covers its inclusive range', (t) => {
  const rng = new Rng(3);
  const seen = new Set<number>();
  let sum = 0;
  for (let i = 0; i < 20_000; i++) {
    const u = rng.next();
    t.true(u >= 0 && u < 1);
    sum += u;
    seen.add(rng.int(2, 5));
  }
  t.true(Math.abs(sum / 20_000 - 0.5) < 0.01);
  t.deepEqual([...seen].sort(), [2, 3, 4, 5]);
});

test('normal() and addNormalNoise() have mean 0 and the asked spread', (t) => {
  const rng = new Rng(11);
  const n = 40_000;
  const values = Array.from({ length: n }, () => rng.normal());
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  t.true(Math.abs(mean) < 0.02, `mean ${mean}`);
  t.true(Math.abs(variance - 1) < 0.03, `variance ${variance}`);

  const noise = new Float64Array(n);
  rng.addNormalNoise(noise, 0.01);
  const noiseMean = noise.reduce((a, b) => a + b, 0) / n;
  const noiseSd = Math.sqrt(noise.reduce((a, b) => a + (b - noiseMean) ** 2, 0) / n);
  t.true(Math.abs(noiseMean) < 2e-4, `mean ${noiseMean}`);
  t.true(Math.abs(noiseSd - 0.01) < 3e-4, `sd ${noiseSd}`);
  // About 4.6 % of a normal lies beyond 2σ.
  const beyond = noise.filter((v) => Math.abs(v) > 0.02).length / n;
  t.true(beyond > 0.035 && beyond < 0.057, `tail share ${beyond}`);
});

test('addNormalNoise continues the generator stream deterministically', (t) => {
  const run = (): [number[], number] => {
    const rng = new Rng(5);
    const noise = new Float64Array(10);
    rng.addNormalNoise(noise, 1);
    return [[...noise], rng.nextUint32()];
  };
  t.deepEqual(run(), run());
});

test('inverseNormalCdf matches known quantiles', (t) => {
  t.true(Math.abs(inverseNormalCdf(0.5)) < 1e-9);
  t.true(Math.abs(inverseNormalCdf(0.975) - 1.959963985) < 1e-7);
  t.true(Math.abs(inverseNormalCdf(0.001) + 3.090232306) < 1e-7);
  t.throws(() => inverseNormalCdf(1));
});

test('derived seeds depend on every key and its order', (t) => {
  const base = seedFromNumber(42);
  t.not(deriveSeed(base, 1, 2), deriveSeed(base, 2, 1));
  t.not(deriveSeed(base, 1), deriveSeed(base, 1, 0));
  t.is(deriveSeed(base, 1, 2), deriveSeed(seedFromNumber(42), 1, 2));
  t.not(stringKey('A001'), stringKey('A010'));
  t.not(seedFromNumber(1), seedFromNumber(2 ** 32 + 1), 'the high half of a 53-bit seed matters');
  t.throws(() => seedFromNumber(1.5));
});
