// How minidock sorts text: names, paths, timestamps — by their characters' codes, as Go's
// strings compare (docker's `ls` lists and its RFC 3339 timestamps sort that way).
//
// Not String.prototype.localeCompare: its first call in a process builds ICU's collator, ~12 ms
// here, and `minidock run` sorted the networks on its way to the bridge — 12 ms of every run,
// spent on the order of three names. For ASCII names and timestamps the two orders agree but
// for case: "Web" sorts before "api" here, as in docker.

/** Sort comparator: a before b when a's UTF-16 code units come first. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
