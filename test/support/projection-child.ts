/**
 * A child process for the crash trial of test/projections.test.ts: opens the store at argv[2],
 * runs the test projection (projection-harness.ts) through the projection runner in small
 * batches, forever, until the test SIGKILLs it mid-batch.
 */
import { ProjectionRunner } from '../../src/core/index.js';
import { openStore } from '../../src/storage/open-store.js';
import { testStoreConfig } from './backends.js';
import { profileCountsProjection } from './projection-harness.js';

const store = await openStore(testStoreConfig(process.argv[2]!), { migrate: false });
const projection = profileCountsProjection(store);
const runner = new ProjectionRunner(store.visitLog, [projection], { batch: 7 });
process.stdout.write('running\n');
for (;;) {
  store.beginRequest?.();
  await runner.runOnce();
  // Caught up: start again from zero, so that the parent always finds it mid-way.
  await projection.reset();
}
