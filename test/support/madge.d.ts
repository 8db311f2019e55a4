// The part of madge's API (MIT; no published types) that test/architecture.test.ts uses.
declare module 'madge' {
  interface MadgeResult {
    obj(): Record<string, string[]>;
    circular(): string[][];
  }
  function madge(path: string, config?: Record<string, unknown>): Promise<MadgeResult>;
  export default madge;
}
