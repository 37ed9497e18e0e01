/**
 * The DataSource for TypeORM's own CLI (`npm run migration:generate`): the
 * same definition as the service's, with the entities of every module, on
 * the configured database (the embedded one is started here, hence the
 * top-level await). Generated migrations are drafts: rewrite them as
 * readable SQL before committing.
 */
import { DataSource } from 'typeorm';
import { loadConfigFromProcess } from '../../config/config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { openDatabase } from '../database/database-url.js';
import { ENTITIES } from '../database/entities.js';

const config = loadConfigFromProcess();
const database = await openDatabase(config, 'command');

export default new DataSource({ ...dataSourceOptions(database.url, 1), entities: ENTITIES });
