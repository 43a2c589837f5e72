// Container names. docker names a container it was not given a name for with an adjective and
// a scientist ("boring_wozniak"); we do the same, with a shorter list.

const ADJECTIVES = ['brave', 'calm', 'eager', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'nifty', 'quirky', 'serene', 'tender', 'vivid', 'witty', 'zen'];
const SCIENTISTS = ['curie', 'dijkstra', 'hopper', 'knuth', 'lamport', 'liskov', 'lovelace', 'noether', 'ritchie', 'shannon', 'thompson', 'torvalds', 'turing', 'wing', 'yonath'];

export function containerName(taken: ReadonlySet<string>, random: () => number = Math.random): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)];
  for (let attempt = 0; ; attempt++) {
    const base = `${pick(ADJECTIVES)}_${pick(SCIENTISTS)}`;
    const name = attempt < 10 ? base : `${base}${attempt}`; // docker appends a digit when it runs out
    if (!taken.has(`/${name}`)) return name;
  }
}
