import type { OutgoingHttpHeaders } from 'node:http';
import { Controller, Get, Inject, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { SseStream } from '../v2/chat/sse-stream';
import { SnapshotFeed } from './snapshot-feed';

/** Comment lines only if the feed stalls (a slow store): snapshots normally keep the stream busy every second. */
const KEEP_ALIVE_MS = 15_000;

/**
 * GET /admin/events: the console's live view, as server-sent events the way the chat streams
 * (src/v2/chat/sse-stream.ts): `event: snapshot` at once, then every second, each written as soon as it is built
 * (never buffered), until the client goes away; then it is unsubscribed and the stream ended.
 */
@Controller('admin/events')
@UseGuards(AdminTokenGuard)
export class EventsController {
  constructor(@Inject(SnapshotFeed) private readonly feed: SnapshotFeed) {}

  @Get()
  stream(@Res() reply: FastifyReply): void {
    reply.hijack();
    const sse = new SseStream(reply.raw, KEEP_ALIVE_MS);
    sse.open(reply.getHeaders() as OutgoingHttpHeaders);
    const unsubscribe = this.feed.subscribe((snapshot) => sse.event('snapshot', snapshot));
    reply.raw.once('close', () => {
      unsubscribe();
      sse.end();
    });
  }
}
