import type { ChaosSuite, ScenarioResult } from '../harness.js';

/** One chaos scenario: a name for `npm run chaos -- <name>`, a one-line title, and its run. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  run(suite: ChaosSuite): Promise<ScenarioResult>;
}
