import { SEQUENCER_WIDTH } from "../constants";

/**
 * A sequencer left-padded with zeros to a fixed width, so that comparing two padded sequencers as
 * strings (as DynamoDB's `<` does) orders them as S3 does. Only sequencers of the same key compare.
 */
export function padSequencer(sequencer: string): string {
  const normalized = sequencer.trim().toUpperCase();
  if (!/^[0-9A-F]+$/.test(normalized)) {
    throw new RangeError(`a sequencer is hexadecimal (got ${JSON.stringify(sequencer)})`);
  }
  if (normalized.length > SEQUENCER_WIDTH) {
    throw new RangeError(`a sequencer has at most ${SEQUENCER_WIDTH} digits (got ${normalized.length})`);
  }
  return normalized.padStart(SEQUENCER_WIDTH, "0");
}
