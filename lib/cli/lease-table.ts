/**
 * A lease table as `reactive-kinesis leases` prints it.
 * @packageDocumentation
 */
import type { Lease } from '../model/lease';
import { columns } from './format';

/** The checkpoint as one word: a sentinel, or `sequence/sub-sequence`. */
export function formatCheckpoint(lease: Pick<Lease, 'checkpoint' | 'checkpointSubSequenceNumber'>): string {
  return /^\d+$/.test(lease.checkpoint) ? `${lease.checkpoint}/${lease.checkpointSubSequenceNumber}` : lease.checkpoint;
}

/** Leases held per owner (`(none)` for leases nobody holds), leases of finished shards left out. */
export function ownerCounts(leases: readonly Lease[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const lease of leases) {
    if (lease.checkpoint === 'SHARD_END') continue;
    const owner = lease.leaseOwner ?? '(none)';
    counts[owner] = (counts[owner] ?? 0) + 1;
  }
  return counts;
}

/** `w1 2, w2 2, (none) 1`, owners in name order. */
export function formatOwnerCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([owner, count]) => `${owner} ${count}`).join(', ');
}

/** The leases as aligned columns, by lease key, then a summary line of owners. */
export function formatLeaseTable(leases: readonly Lease[]): string {
  const sorted = [...leases].sort((a, b) => a.leaseKey.localeCompare(b.leaseKey));
  const rows = sorted.map((lease) => [
    lease.leaseKey,
    lease.leaseOwner ?? '-',
    String(lease.leaseCounter),
    formatCheckpoint(lease),
    String(lease.ownerSwitchesSinceCheckpoint),
    lease.parentShardIds.length === 0 ? '-' : lease.parentShardIds.join(','),
  ]);
  const table = columns([['SHARD', 'OWNER', 'COUNTER', 'CHECKPOINT', 'SWITCHES', 'PARENTS'], ...rows]);
  const finished = leases.filter((lease) => lease.checkpoint === 'SHARD_END').length;
  return `${table}\n${leases.length} lease${leases.length === 1 ? '' : 's'}${finished > 0 ? ` (${finished} finished)` : ''}; held: ${formatOwnerCounts(ownerCounts(leases))}`;
}
