import { createStatehouseTestingModule } from '@statehouse/testing';
import { NotesService } from './nestjs-module';

it('keeps an agent’s notes', async () => {
  // StatehouseModule on $REDIS_URL, in a namespace of this test's own.
  const moduleRef = await createStatehouseTestingModule({ providers: [NotesService] }).compile();
  const app = await moduleRef.init();
  const notes = app.get(NotesService);
  await notes.addNote('agent-1', 'remember the milk');
  await notes.addNote('agent-1', 'and the eggs');
  expect((await notes.notes('agent-1')).value).toEqual({
    notes: ['remember the milk', 'and the eggs'],
  });
  await app.close();
});
