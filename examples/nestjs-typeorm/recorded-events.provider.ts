// Registers tidings' TypeORM entity subscriber on the data source, once the container has made the
// Flusher it needs: it writes the events of the entities each transaction saves to the outbox before its
// COMMIT, and dispatches them after it.
// #region subscriber
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Flusher } from 'tidings';
import { RecordedEventsSubscriber } from 'tidings/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

@Injectable()
export class RecordedEvents implements OnModuleInit {
  constructor(
    @Inject(getDataSourceToken()) private readonly dataSource: DataSource,
    @Inject(Flusher) private readonly flusher: Flusher<EntityManager>,
  ) {}

  onModuleInit(): void {
    // One per data source (two would each write the events); after initialize(), which replaces the list.
    this.dataSource.subscribers.push(new RecordedEventsSubscriber(this.flusher));
  }
}
// #endregion
