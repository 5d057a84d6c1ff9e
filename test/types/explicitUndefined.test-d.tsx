// Type tests, compiled by `npm run typecheck` and never run: under `exactOptionalPropertyTypes`
// (which this project, and many applications, compile with) every optional property of a public
// option or props type accepts an explicit `undefined`, so a value that may be missing is passed as is
// instead of building the object conditionally. Result types are not concerned.
import { expectTypeOf } from 'vitest';
import {
  PeerConnection,
  PeerSignaling,
  SseDriver,
  SseError,
  channels,
  discoverHub,
  sse,
  tokenStream,
  type ChannelsOptions,
  type DataChannelOptions,
  type PeerConnectionOptions,
  type PeerSignalingOptions,
  type ProtocolAdapter,
  type ProtocolCapabilities,
  type PublishOptions,
  type RetryPolicy,
  type SendOptions,
  type SignalingLink,
  type SseDriverOptions,
  type SseErrorOptions,
  type SseServerOptions,
  type SubscribeOptions,
  type SubscriberOptions,
  type TabsOptions,
  type TokenStreamOptions,
} from '../../src/index.js';
import {
  SseProvider,
  usePeerConnection,
  usePeerSignaling,
  usePublish,
  useTopic,
  type PublishCallOptions,
  type SseProviderDriverProps,
  type SseProviderOptionsProps,
  type UsePeerConnectionOptions,
  type UsePeerSignalingOptions,
  type UsePublishOptions,
  type UseTopicOptions,
} from '../../src/react/index.js';
import {
  ConnectionStatus,
  HubInspector,
  InspectorStore,
  PeerList,
  PublishForm,
  TopicFeed,
  type ConnectionStatusProps,
  type HubInspectorProps,
  type InspectorStoreOptions,
  type PeerListPeer,
  type PeerListProps,
  type PublishFormProps,
  type TopicFeedProps,
  type TopicFeedTopicOptions,
} from '../../src/ui/index.js';
import {
  MockChannelServer,
  MockHub,
  MockSseEndpoint,
  MockTokenStreamServer,
  type FailNextOptions,
  type MockHubOptions,
  type MockSseEndpointOptions,
  type MockSseEvent,
  type MockTokenStreamServerOptions,
  type PublishInput as MockPublishInput,
} from '../../src/mock/index.js';
import {
  HubEngine,
  createHub,
  type CreateHubOptions,
  type HubCorsOptions,
  type HubEngineOptions,
  type HubKey,
  type HubRequest,
  type PublishInput,
  type RedisTransportOptions,
} from '../../src/hub/index.js';

/** The optional keys of `T`. */
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/**
 * The optional keys of `T` that refuse an explicit `undefined` (`never` when there are none).
 * `Required` keeps an `undefined` written in the type and drops only the one `?` adds.
 */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

/** A value that may be missing, as applications hold them. */
declare function maybe<T>(): T | undefined;
declare const driver: SseDriver;
declare const signaling: PeerSignaling;

// ------------------------------------------------------------- every optional key, type by type

expectTypeOf<RefusingUndefined<SseDriverOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<NonNullable<SseDriverOptions['platform']>>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<SubscribeOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<PublishOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<RetryPolicy>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<SubscriberOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<TabsOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<SseErrorOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<ChannelsOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<SseServerOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<TokenStreamOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<ProtocolCapabilities>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<PeerSignalingOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<NonNullable<PeerSignalingOptions['platform']>>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<SendOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<PeerConnectionOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<NonNullable<PeerConnectionOptions['platform']>>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<DataChannelOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<SignalingLink>>().toEqualTypeOf<never>();

expectTypeOf<RefusingUndefined<SseProviderOptionsProps>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<SseProviderDriverProps>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<UseTopicOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<UsePublishOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<PublishCallOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<UsePeerSignalingOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<UsePeerConnectionOptions>>().toEqualTypeOf<never>();

expectTypeOf<RefusingUndefined<ConnectionStatusProps>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<NonNullable<ConnectionStatusProps['labels']>>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<TopicFeedProps>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<TopicFeedTopicOptions<unknown>>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<PublishFormProps>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<PeerListProps>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<PeerListPeer>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<HubInspectorProps>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<InspectorStoreOptions>>().toEqualTypeOf<never>();

expectTypeOf<RefusingUndefined<MockHubOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<FailNextOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<MockSseEndpointOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<MockSseEvent>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<MockTokenStreamServerOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<MockPublishInput>>().toEqualTypeOf<never>();

expectTypeOf<RefusingUndefined<CreateHubOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<HubEngineOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<NonNullable<HubEngineOptions['limits']>>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<HubCorsOptions>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<Extract<HubKey, object>>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<HubRequest>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<PublishInput>>().toEqualTypeOf<never>();
expectTypeOf<RefusingUndefined<RedisTransportOptions>>().toEqualTypeOf<never>();

// The check itself tells a key that refuses `undefined`.
expectTypeOf<RefusingUndefined<{ a?: string; b?: string | undefined }>>().toEqualTypeOf<'a'>();

// ------------------------------------------------------------- each entry point, as it is called

// `sse-kit`
export function core(): void {
  const options: SseDriverOptions = {
    url: 'https://example.com/.well-known/mercure',
    headers: maybe<HeadersInit>(),
    retry: { initialDelay: maybe<number>(), maxDelay: undefined, factor: undefined },
    subscriber: { withCredentials: maybe<boolean>(), headers: undefined },
    tabs: { key: maybe<string>(), locks: undefined },
    topicOf: maybe<SseDriverOptions['topicOf']>(),
    resume: undefined,
    platform: { now: maybe<() => number>(), uuid: undefined },
  };
  const sseDriver = new SseDriver(options);
  sseDriver.subscribe('topic', () => undefined, { since: maybe<string>(), type: undefined, raw: undefined, parse: undefined, onError: undefined, onActive: undefined });
  void sseDriver.publish('topic', 'data', { id: maybe<string>(), type: undefined, private: undefined, retry: undefined, raw: undefined, signal: maybe<AbortSignal>() });
  void new SseDriver({ url: 'https://example.com/hub', server: channels({ subscribePath: maybe<string>(), publishPath: undefined }) });
  void new SseDriver({ url: 'https://example.com/sse', server: sse({ publishUrl: maybe<string>(), publish: undefined }) });
  void new SseDriver({ url: 'https://example.com/tokens', server: tokenStream({ topic: maybe<string>() }) });
  void new SseError('misuse', 'message', { status: maybe<number>(), hint: maybe<string>(), cause: undefined });
  void discoverHub('https://example.com/books/1', { fetch: undefined });
  const room = new PeerSignaling(driver, 'room', { peerId: maybe<string>(), heartbeat: undefined, encrypt: undefined, platform: undefined });
  void room.send('peer', 'hi', { channel: maybe<string>() });
  void new PeerConnection(signaling, 'peer', { polite: maybe<boolean>(), dataChannel: { ordered: undefined, label: maybe<string>() }, rtcConfig: undefined });
  const adapter: ProtocolAdapter = { ...sse(), publishHint: maybe<string>(), settings: undefined, presence: undefined };
  void adapter;
}

// `sse-kit/react`
export function Hooks(): null {
  useTopic('topic', { since: maybe<string>(), type: undefined, buffer: undefined, enabled: maybe<boolean>(), ignoreSelf: undefined, onEvent: undefined, raw: undefined, parse: undefined });
  const { publish } = usePublish('topic', { type: maybe<string>(), queue: undefined, queueLimit: undefined, signal: undefined });
  publish('data', { id: maybe<string>(), signal: undefined });
  usePeerSignaling('room', { peerId: maybe<string>(), metadata: undefined, enabled: undefined, onSignal: undefined });
  usePeerConnection(maybe<string>(), { signaling: undefined, stream: maybe<MediaStream>(), dataChannel: undefined, enabled: undefined });
  return null;
}

export const provider = (
  <SseProvider url="https://example.com/.well-known/mercure" headers={maybe<HeadersInit>()} tabs={undefined} clientId={maybe<string>()}>
    <Hooks />
  </SseProvider>
);
export const givenDriver = <SseProvider driver={driver}>{undefined}</SseProvider>;

// `sse-kit/ui`
export const ui = (
  <>
    <ConnectionStatus labels={{ open: maybe<string>() }} announce={undefined} showLastEventId={maybe<boolean>()} showReconnect={undefined} />
    <TopicFeed topic="topic" options={{ since: maybe<string>(), buffer: undefined }} label={maybe<string>()} getAuthor={undefined} getTime={undefined} announce={undefined} />
    <PublishForm topic="topic" queue={maybe<boolean>()} publishOptions={{ type: maybe<string>() }} placeholder={undefined} onPublished={undefined} />
    <PeerList peers={[{ id: 'a', metadata: undefined, joinedAt: maybe<number>(), lastSeen: undefined }]} selfId="a" status={maybe<string>()} clock={undefined} />
    <HubInspector title={maybe<string>()} tabs={undefined} timelineSize={undefined} httpVersion={maybe<string>()} />
  </>
);
export const inspector = (): InspectorStore => new InspectorStore(driver, { timelineSize: maybe<number>(), now: undefined });

// `sse-kit/mock`
export function mock(): void {
  const hub = new MockHub({ url: maybe<string>(), latency: undefined, history: undefined, limits: { bodyBytes: maybe<number>() } });
  hub.publish({ topic: 'topic', data: maybe<string>(), id: undefined, type: undefined, retry: undefined, private: undefined });
  hub.failNext(500, { count: maybe<number>(), method: undefined, body: undefined, headers: undefined, retryAfter: undefined });
  void new MockSseEndpoint({ url: maybe<string>(), greeting: undefined, publishPath: undefined });
  void new MockTokenStreamServer({ url: maybe<string>(), secret: undefined, now: undefined });
  void new MockChannelServer({ url: maybe<string>() });
}

// `sse-kit/hub`
export async function hub(): Promise<void> {
  const engine = new HubEngine({ url: maybe<string>(), publisherKey: { secret: 'secret', alg: undefined }, cors: { origins: '*', maxAge: maybe<number>() }, limits: { connections: undefined } });
  engine.publish({ topic: 'topic', data: maybe<string>() });
  await engine.handle(new Request('https://example.com/.well-known/mercure'), { clientAddress: maybe<string>() });
  const node = await createHub({ port: maybe<number>(), host: undefined, publicUrl: undefined, transport: undefined, log: undefined, shutdownGrace: undefined });
  void node;
}
