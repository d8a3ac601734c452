/** Multi-stream models (a joint + bone ensemble in one model folder): config and factory. */
export { createStreams, memberSeed, type MemberFactory, type StreamsModel } from './model.js';
export {
  parseStreamsConfig,
  parseStreamsSection,
  streamsConfigSchema,
  streamsSectionSchema,
  type StreamsConfig,
  type StreamsSection,
} from './config.js';
