/**
 * Reads the usage one model response reports as it streams by: SSE `message_start.message.usage` and
 * `message_delta.usage` (cumulative counts), or a JSON body's `usage`. The SSE framing is parsed by
 * `eventsource-parser`; only events whose data mentions `"usage"` are JSON-parsed. Charges only the
 * growth of each count, so a stream cut short is charged for what it reported. A body the meter cannot
 * read (compressed, or over 64 MiB of JSON) is reported as unmetered by finish().
 * Bedrock's event streams are read by a reader the server passes in (src/providers/eventstream.ts, loaded
 * only when the provider is Bedrock: its codec library costs every other run's proxy start ~40 ms of CPU);
 * without one such a response is unreadable, hence unmetered.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { isRecord, parseJson } from './json.js';
import { API_USAGE_FIELDS, TOKEN_KEYS, zeroTokens, type TokenCounts } from './pricing.js';

const MAX_JSON_RESPONSE_BYTES = 64 * 1024 * 1024;

export type Charge = (model: string, delta: TokenCounts) => number;

/** Bedrock's response type (invoke-with-response-stream): each chunk event wraps one SSE event's data. */
export const EVENTSTREAM_TYPE = 'application/vnd.amazon.eventstream';

/** Reads an event-stream body pushed chunk by chunk, calling `onEvent` with each Anthropic event. */
export type EventstreamReaderFactory = (onEvent: (event: unknown) => void) => { push(chunk: Buffer): void };

export class ResponseMeter {
  /** The model id the response named (undefined until it does). */
  model: string | undefined;
  /** Cost charged for this response so far. */
  costUsd = 0;
  private seen = zeroTokens();
  private metered = false;
  private readonly encoded: boolean;
  private readonly sse: EventSourceParser | undefined;
  /** Bedrock's application/vnd.amazon.eventstream: each chunk event wraps one SSE event's data. */
  private readonly eventstream: { push(chunk: Buffer): void } | undefined;
  private readonly decoder = new TextDecoder();
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(
    headers: { 'content-type'?: string; 'content-encoding'?: string },
    private readonly charge: Charge,
    eventstreamReader?: EventstreamReaderFactory,
  ) {
    const type = String(headers['content-type'] ?? '');
    const eventstream = type.includes(EVENTSTREAM_TYPE);
    // An event stream without a reader is unreadable: reported unmetered, like a compressed body.
    this.encoded =
      !/^(identity)?$/i.test(String(headers['content-encoding'] ?? '').trim()) ||
      (eventstream && !eventstreamReader);
    this.sse = type.includes('text/event-stream')
      ? createParser({ onEvent: ({ data }) => this.onSseData(data) })
      : undefined;
    this.eventstream =
      eventstream && eventstreamReader ? eventstreamReader((event) => this.onEvent(event)) : undefined;
  }

  /** One chunk of the response body, in order. */
  write(chunk: Buffer): void {
    if (this.encoded) return;
    if (this.sse) this.sse.feed(this.decoder.decode(chunk, { stream: true }));
    else if (this.eventstream) this.eventstream.push(chunk);
    else {
      this.bytes += chunk.length;
      if (this.bytes <= MAX_JSON_RESPONSE_BYTES) this.parts.push(chunk);
    }
  }

  /** Completes metering; false when the response carried no readable usage. */
  finish(): boolean {
    if (this.encoded) return false;
    if (this.sse) {
      // A stream cut mid-event still counts what its last complete `data:` lines reported.
      this.sse.feed(`${this.decoder.decode()}\n\n`);
    } else if (this.eventstream) {
      // every complete message was read as it came
    } else if (this.bytes <= MAX_JSON_RESPONSE_BYTES) {
      const body = parseJson(Buffer.concat(this.parts).toString('utf8'));
      this.parts = [];
      if (isRecord(body)) this.record(body.model, body.usage);
    }
    return this.metered;
  }

  private onSseData(data: string): void {
    if (!data.includes('"usage"')) return;
    this.onEvent(parseJson(data));
  }

  private onEvent(event: unknown): void {
    if (!isRecord(event)) return;
    if (event.type === 'message_start' && isRecord(event.message)) {
      this.record(event.message.model, event.message.usage);
    } else if (event.type === 'message_delta') {
      this.record(undefined, event.usage);
    }
  }

  private record(model: unknown, usage: unknown): void {
    if (typeof model === 'string' && model !== '') this.model = model;
    if (!isRecord(usage)) return;
    const delta = zeroTokens();
    for (const k of TOKEN_KEYS) {
      const reported = usage[API_USAGE_FIELDS[k]];
      if (typeof reported === 'number' && Number.isFinite(reported) && reported > this.seen[k]) {
        delta[k] = reported - this.seen[k];
        this.seen[k] = reported;
      }
    }
    this.metered = true;
    this.costUsd += this.charge(this.model ?? 'unknown', delta);
  }
}
