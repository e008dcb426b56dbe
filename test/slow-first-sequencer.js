import Sequencer from '@jest/test-sequencer';

// The files that start a Chromium or a CLI process per step are the suite's longest (20-60 s
// each, most files take 1-10 s). jest starts the files it has timed before longest first, from
// its cache; a file it has no time for (a fresh checkout, CI, any new worktree: the cache is keyed
// by the config's path) it orders by size, and these files are small, so they started late and
// one of them ran alone at the end of the run while the other worker had nothing left.
const STARTS_A_BROWSER_OR_CLI = /[/\\]test[/\\](browser|cli)[/\\]/;

/** jest's own order, except that among the files it has no time for these go first. */
export default class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const untimed = sorted.flatMap((test, index) => (test.duration == null ? [index] : []));
    const heavyFirst = untimed.map((index) => sorted[index]).sort((a, b) => Number(STARTS_A_BROWSER_OR_CLI.test(b.path)) - Number(STARTS_A_BROWSER_OR_CLI.test(a.path)));
    untimed.forEach((index, i) => (sorted[index] = heavyFirst[i]));
    return sorted;
  }
}
