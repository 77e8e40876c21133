import { describeStoreSuite } from './support/store-suite';
import { closeClients, connectClient } from '../../core/test/support/statehouse';

afterAll(closeClients);

describeStoreSuite('the embedded engine', () => connectClient());
