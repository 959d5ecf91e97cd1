/**
 * Reads Bedrock's `application/vnd.amazon.eventstream` responses (invoke-with-response-stream) as they
 * stream by, so the key proxy can meter spend (threat-model X6) from them as it does from SSE. Each
 * message is framed by its 4-byte total length; `@smithy/eventstream-codec` decodes it (and checks its
 * CRCs). A `chunk` event's payload is `{"bytes": base64(<one Anthropic streaming event as JSON>)}`.
 * Malformed input ends reading (the meter then reports the response unmetered, which fails closed).
 * The key proxy imports this module only when its provider is Bedrock (isolation/proxy/server.ts).
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class EventStreamReader {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private pending: Buffer = Buffer.alloc(0);
  private broken = false;

  /** @param onEvent called with each Anthropic event carried by a `chunk` message. */
  constructor(private readonly onEvent: (event: unknown) => void) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 4) {
      const total = this.pending.readUInt32BE(0);
      if (total < 16 || total > MAX_MESSAGE_BYTES) {
        this.broken = true;
        return;
      }
      if (this.pending.length < total) return;
      const frame = this.pending.subarray(0, total);
      this.pending = this.pending.subarray(total);
      try {
        this.handle(this.codec.decode(frame));
      } catch {
        this.broken = true;
        return;
      }
    }
  }

  private handle(message: { headers: Record<string, { type: string; value: unknown }>; body: Uint8Array }) {
    if (message.headers[':message-type']?.value !== 'event') return;
    if (message.headers[':event-type']?.value !== 'chunk') return;
    const payload: unknown = JSON.parse(toUtf8(message.body));
    const bytes = (payload as { bytes?: unknown }).bytes;
    if (typeof bytes !== 'string') return;
    this.onEvent(JSON.parse(Buffer.from(bytes, 'base64').toString('utf8')));
  }
}

/** Encodes Anthropic events as Bedrock stream messages (for fakes and tests). */
export function encodeBedrockChunk(event: unknown): Uint8Array {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const bytes = Buffer.from(JSON.stringify(event)).toString('base64');
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: 'chunk' },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ bytes })),
  });
}
