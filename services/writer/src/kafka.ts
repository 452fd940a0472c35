import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { DeadLetter, Logger } from '@voc/domain';
import { deadLetterRecord } from '@voc/messaging';
import type { BatchControl, BatchOutcome } from '@voc/messaging';
import type { DeadLetterSink, SourceBatch } from './writer.js';

/** A service function that durably handles one partition batch. */
export type BatchHandler = (batch: SourceBatch, control: BatchControl) => Promise<BatchOutcome>;

/**
 * Thin kafkajs edge: maps an `eachBatch` payload to {@link SourceBatch}, calls the handler, and commits
 * the batch's offsets only when it reports `stored` and the partition is still ours. Nothing is
 * resolved otherwise, so an abandoned batch is fetched again by whoever owns the partition next.
 */
export function eachBatchHandler(handle: BatchHandler): (payload: EachBatchPayload) => Promise<void> {
  return async (p) => {
    const { batch } = p;
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    const control: BatchControl = { heartbeat: () => p.heartbeat(), abandoned: () => !p.isRunning() || p.isStale() };
    const outcome = await handle({ topic: batch.topic, partition: batch.partition, records: batch.messages }, control);
    if (outcome !== 'stored' || p.isStale()) return;
    // resolveOffset of the last message resolves batch.lastOffset() (which may be a filtered control
    // record); commit exactly that position + 1, the next offset to read.
    p.resolveOffset(last.offset);
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    await p.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
  };
}

/** Settings of one consumer loop. */
export interface ConsumerLoopOptions {
  topic: string;
  partitionsConsumedConcurrently: number;
}

/**
 * Connects `consumer`, subscribes to `topic` from the beginning (a new group must not skip what was
 * produced before it first joined) and runs it with manual commits.
 */
export async function startConsumer(consumer: Consumer, opts: ConsumerLoopOptions, handle: BatchHandler, log: Logger): Promise<void> {
  consumer.on(consumer.events.CRASH, (e) => log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed'));
  consumer.on(consumer.events.GROUP_JOIN, (e) =>
    log.info({ groupId: e.payload.groupId, memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined consumer group'),
  );
  await consumer.connect();
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently,
    eachBatch: eachBatchHandler(handle),
  });
}

/** {@link DeadLetterSink} on a kafkajs producer: one send per batch of letters, acks from all in-sync replicas. */
export function kafkaDeadLetterSink(producer: Producer, topic: string): DeadLetterSink {
  return {
    async publish(letters: readonly DeadLetter[]): Promise<void> {
      if (letters.length === 0) return;
      await producer.send({ topic, acks: -1, messages: letters.map(deadLetterRecord) });
    },
  };
}
