export interface FaultRow {
  id: string;
  fault: string;
  group: 'model' | 'github' | 'cli' | 'runner';
  exit: 0 | 1 | 130;
  sees: string;
}
export const FAULTS: FaultRow[];
