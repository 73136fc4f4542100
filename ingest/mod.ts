/**
 * What other features use from ingest. The enrichment functions are pure and cached, so demo
 * data and imports classify visits exactly like live traffic does; `writeBatches` stores
 * events (and their sessions and identities) idempotently.
 */
export { parseUserAgent, type UserAgentInfo } from "./user_agent.ts";
export { type GeoInfo, geolocate } from "./geo.ts";
export { type Acquisition, classifySource } from "./source.ts";
export { type Channel, channelFor } from "./channel.ts";
export { normalizeSourceValue, sourceForHost } from "./source_names.ts";
export { isBotUserAgent } from "./bots.ts";
export { writeBatches } from "./writer.ts";
export { dropCounts } from "./store.ts";
export { INGEST_QUEUE, ingestorFor, liveEventOf } from "./ingestor.ts";
export type { EventType, QueuedBatch, QueuedEvent } from "./types.ts";
