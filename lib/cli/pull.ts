export default async function pull(_argv: string[]): Promise<number> { return 1; }
