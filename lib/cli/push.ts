export default async function push(_argv: string[]): Promise<number> { return 1; }
