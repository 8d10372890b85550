namespace NativeAotPersistence.Tests.Conformance;

// Every suite against every backend: (a) SQLite :memory:, (b) a WAL file, (c) a borrowed handle, (d) InMemoryPersistence.
public sealed class CacheConformance_SqliteMemory : CacheConformance<SqliteMemoryBackend>;

public sealed class CacheConformance_SqliteFile : CacheConformance<SqliteFileBackend>;

public sealed class CacheConformance_SqliteBorrowed : CacheConformance<SqliteBorrowedBackend>;

public sealed class CacheConformance_InMemory : CacheConformance<InMemoryBackend>;

public sealed class LockConformance_SqliteMemory : LockConformance<SqliteMemoryBackend>;

public sealed class LockConformance_SqliteFile : LockConformance<SqliteFileBackend>;

public sealed class LockConformance_SqliteBorrowed : LockConformance<SqliteBorrowedBackend>;

public sealed class LockConformance_InMemory : LockConformance<InMemoryBackend>;
