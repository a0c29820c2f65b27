/** The event layer of dailyfeed-shared: see README.md in this folder. */
export { EventDecodeError, EventPublishError, InvalidEventError } from './errors.ts';
export { systemClock, type Clock } from './clock.ts';
export {
  ACTIVITY_EVENT_TYPES,
  ActivityEventSchema,
  EVENT_VERSION,
  createActivityEvent,
  decodeEventValue,
  encodeEventValue,
  formatKeyTimestamp,
  recordKeyOf,
  uuidv7,
  type ActivityEvent,
  type ActivityEventType,
  type CreateActivityEventInput,
  type IdInput,
} from './event-types.ts';
export {
  TOPIC_BASE,
  datedTopicName,
  parseDatedTopic,
  producerTopics,
  topicWindow,
  topicsOlderThan,
  type TopicDate,
  type TopicNaming,
} from './topics.ts';
export { createKafka, type CreateKafkaOptions, type EventLogger, type KafkaLogLevel } from './kafka-connection.ts';
export {
  KafkaEventPublisher,
  createKafkaEventPublisher,
  type EventPublisher,
  type KafkaEventPublisherOptions,
  type PublishOptions,
  type TopicKeeper,
  type TopicKeeperOptions,
} from './kafka-publisher.ts';
export {
  DatedTopicListener,
  OnFailureError,
  createDatedTopicListener,
  type DatedTopicListenerOptions,
  type ListenerFailure,
  type RecordMeta,
} from './dated-topic-listener.ts';
export { DatedTopicAdmin, createDatedTopicAdmin, type DatedTopic, type DatedTopicAdminOptions } from './topic-admin.ts';
