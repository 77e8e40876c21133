import { Injectable, Module } from '@nestjs/common';
import type { StatehouseApi } from '@statehouse/core';
import {
  InjectStatehouse,
  StatehouseModule,
  Transactional,
  currentTransaction,
} from '@statehouse/nestjs';

@Injectable()
export class NotesService {
  constructor(@InjectStatehouse() private readonly statehouse: StatehouseApi) {}

  /** Commits when it returns, aborts when it throws, runs again after a conflict. */
  @Transactional({ retries: 5, timeoutMs: 5000 })
  async addNote(agentId: string, note: string): Promise<void> {
    const tx = currentTransaction()!;
    const { value } = await tx.get({ agentId, key: 'notes' });
    const notes = [...((value?.notes as string[] | undefined) ?? []), note];
    await tx.write({ agentId, key: 'notes', value: { notes } });
  }

  notes(agentId: string) {
    return this.statehouse.getState({ agentId, key: 'notes' });
  }
}

@Module({
  imports: [
    StatehouseModule.forRoot({
      redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      isGlobal: true,
    }),
  ],
  providers: [NotesService],
})
export class AppModule {}
