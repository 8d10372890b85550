using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the schema version every backend writes, and the one check of a stored schema they all apply on
/// connect: a newer schema is refused and left untouched, and a missing or older one is created or migrated only when
/// the adapter may (<see cref="PersistenceAdapterOptions.CreateTables"/>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SchemaRules
{
    /// <summary>The schema version this library writes; a database with a higher one is refused.</summary>
    public const int CurrentVersion = 6;

    /// <summary>Refuses a schema this library cannot use; names what is missing when creation is off.</summary>
    /// <exception cref="PersistenceException">
    /// The version is newer than <see cref="CurrentVersion"/> (<see cref="PersistenceErrorKind.SchemaTooNew"/>), or, with
    /// <paramref name="createTables"/> off, something is missing or the version is not current (<see cref="PersistenceErrorKind.SchemaMissing"/>).
    /// </exception>
    /// <param name="version">The recorded version, or <see langword="null"/> when none is.</param>
    /// <param name="missing">The library's tables (or other objects) that do not exist.</param>
    /// <param name="createTables">Whether the adapter may create and migrate.</param>
    /// <param name="subject">How the store is named in messages, such as <c>The database 'app.db'</c>.</param>
    /// <param name="missingNoun">What <paramref name="missing"/> lists: <c>tables</c> or <c>objects</c>.</param>
    /// <param name="createAdvice">How to connect to create them, ending the message.</param>
    /// <param name="dataSource">The file or server, for the exception.</param>
    /// <param name="blocker">Why nothing may be created or migrated, for the message.</param>
    public static void Validate(
        int? version, IReadOnlyList<string> missing, bool createTables, string subject, string missingNoun, string createAdvice, string dataSource,
        string blocker = "PersistenceAdapterOptions.CreateTables is false")
    {
        if (version > CurrentVersion)
        {
            throw new PersistenceException(
                $"{subject} has schema version {version}, newer than the {CurrentVersion} this version " +
                "of NativeAotPersistence knows. It was left untouched; upgrade the library to use it.",
                PersistenceErrorKind.SchemaTooNew,
                "connect",
                dataSource);
        }

        if (!createTables && (missing.Count > 0 || version != CurrentVersion))
        {
            // Both, when both apply: an older store lacks the tables of kinds added since and needs its own migrated.
            var migrate = version is { } old && old != CurrentVersion ? $"its schema version {old} must be migrated to {CurrentVersion}" : null;
            var what = missing.Count > 0
                ? $"the {missingNoun} " + string.Join(", ", missing) + " are missing" + (migrate is null ? "" : " and " + migrate)
                : migrate ?? "no schema version is recorded in go_goscope_meta";
            throw new PersistenceException(
                $"{subject} is not ready: {what}, and {blocker}. {createAdvice}",
                PersistenceErrorKind.SchemaMissing,
                "connect",
                dataSource);
        }
    }
}
