namespace NativeAotPersistence.Tests.Conformance;

// Every suite against every backend: (a) SQLite :memory:, (b) a WAL file, (c) a borrowed handle, (d) InMemoryPersistence,
// (e) PostgreSQL on the throwaway test server.
public sealed class CacheConformance_SqliteMemory : CacheConformance<SqliteMemoryBackend>;

public sealed class CacheConformance_SqliteFile : CacheConformance<SqliteFileBackend>;

public sealed class CacheConformance_SqliteBorrowed : CacheConformance<SqliteBorrowedBackend>;

public sealed class CacheConformance_InMemory : CacheConformance<InMemoryBackend>;

public sealed class CacheConformance_Postgres : CacheConformance<PostgresBackend>;

public sealed class LockConformance_SqliteMemory : LockConformance<SqliteMemoryBackend>;

public sealed class LockConformance_SqliteFile : LockConformance<SqliteFileBackend>;

public sealed class LockConformance_SqliteBorrowed : LockConformance<SqliteBorrowedBackend>;

public sealed class LockConformance_InMemory : LockConformance<InMemoryBackend>;

public sealed class LockConformance_Postgres : LockConformance<PostgresBackend>;

public sealed class CircuitBreakerConformance_SqliteMemory : CircuitBreakerConformance<SqliteMemoryBackend>;

public sealed class CircuitBreakerConformance_SqliteFile : CircuitBreakerConformance<SqliteFileBackend>;

public sealed class CircuitBreakerConformance_SqliteBorrowed : CircuitBreakerConformance<SqliteBorrowedBackend>;

public sealed class CircuitBreakerConformance_InMemory : CircuitBreakerConformance<InMemoryBackend>;

public sealed class CircuitBreakerConformance_Postgres : CircuitBreakerConformance<PostgresBackend>;

public sealed class CheckpointConformance_SqliteMemory : CheckpointConformance<SqliteMemoryBackend>;

public sealed class CheckpointConformance_SqliteFile : CheckpointConformance<SqliteFileBackend>;

public sealed class CheckpointConformance_SqliteBorrowed : CheckpointConformance<SqliteBorrowedBackend>;

public sealed class CheckpointConformance_InMemory : CheckpointConformance<InMemoryBackend>;

public sealed class CheckpointConformance_Postgres : CheckpointConformance<PostgresBackend>;

public sealed class IdempotencyConformance_SqliteMemory : IdempotencyConformance<SqliteMemoryBackend>;

public sealed class IdempotencyConformance_SqliteFile : IdempotencyConformance<SqliteFileBackend>;

public sealed class IdempotencyConformance_SqliteBorrowed : IdempotencyConformance<SqliteBorrowedBackend>;

public sealed class IdempotencyConformance_InMemory : IdempotencyConformance<InMemoryBackend>;

public sealed class IdempotencyConformance_Postgres : IdempotencyConformance<PostgresBackend>;

public sealed class LifecycleConformance_SqliteMemory : LifecycleConformance<SqliteMemoryBackend>;

public sealed class LifecycleConformance_SqliteFile : LifecycleConformance<SqliteFileBackend>;

public sealed class LifecycleConformance_SqliteBorrowed : LifecycleConformance<SqliteBorrowedBackend>;

public sealed class LifecycleConformance_InMemory : LifecycleConformance<InMemoryBackend>;

public sealed class LifecycleConformance_Postgres : LifecycleConformance<PostgresBackend>;

public sealed class KeyMatrixConformance_SqliteMemory : KeyMatrixConformance<SqliteMemoryBackend>;

public sealed class KeyMatrixConformance_SqliteFile : KeyMatrixConformance<SqliteFileBackend>;

public sealed class KeyMatrixConformance_SqliteBorrowed : KeyMatrixConformance<SqliteBorrowedBackend>;

public sealed class KeyMatrixConformance_InMemory : KeyMatrixConformance<InMemoryBackend>;

public sealed class KeyMatrixConformance_Postgres : KeyMatrixConformance<PostgresBackend>;

public sealed class StorageConformance_SqliteMemory : StorageConformance<SqliteMemoryBackend>;

public sealed class StorageConformance_SqliteFile : StorageConformance<SqliteFileBackend>;

public sealed class StorageConformance_SqliteBorrowed : StorageConformance<SqliteBorrowedBackend>;

public sealed class StorageConformance_InMemory : StorageConformance<InMemoryBackend>;

public sealed class StorageConformance_Postgres : StorageConformance<PostgresBackend>;
