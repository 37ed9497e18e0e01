/**
 * Every entity of the service, for TypeORM's migration generator only (the
 * service itself registers each module's entities through
 * `TypeOrmModule.forFeature`). Add a module's entities here when you add them.
 */
export const ENTITIES: Function[] = [];
