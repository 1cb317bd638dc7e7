/**
 * Commits → the highest contiguous committed position → paced checkpoint writes.
 * @packageDocumentation
 */
export type { CheckpointWriteResult, CheckpointWriter } from './checkpoint-write';
export { checkpointer } from './checkpointer';
export type { CheckpointerEvent, CheckpointerSettings } from './checkpointer';
export { CommitTracker } from './commit-tracker';
export type { CommitProgress } from './commit-tracker';
