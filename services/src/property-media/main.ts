/**
 * `npm run service:property-media`: the media service (Scenario 6) as a process of its own: the
 * media API for Salesforce's Property_Media Named Credential (bearer tokens in SERVICE_API_TOKENS)
 * in front of the image storage (MEDIA_STORAGE: the embedded S3-compatible server by default, S3
 * or any S3-compatible storage by configuration). Stateless: any number of instances may serve
 * one bucket. SIGINT/SIGTERM stop it gracefully.
 */
import { runService } from '../platform/index.ts';
import { propertyMediaService } from './service.ts';

await runService(propertyMediaService);
