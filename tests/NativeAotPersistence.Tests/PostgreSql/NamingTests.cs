using System.Reflection;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>The PostgreSQL backend's names, one spelling per role (docs/architecture.md, "Names of the PostgreSQL backend").</summary>
public sealed class NamingTests
{
    [Fact]
    public void PublicTypesSayPostgres_InternalOnesPg_TheAssemblySaysPostgreSql()
    {
        var assembly = typeof(PostgresAdapter).Assembly;
        Assert.Equal("NativeAotPersistence.PostgreSql", assembly.GetName().Name);

        var types = assembly.GetTypes()
            .Where(static t => !t.IsNested && !t.Name.StartsWith('<') && t.Namespace?.StartsWith("NativeAotPersistence", StringComparison.Ordinal) == true
                && t.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is null)
            .ToList();
        var exported = types.Where(static t => t.IsPublic).Select(static t => t.Name).ToList();
        Assert.NotEmpty(exported);
        Assert.All(exported, static name => Assert.StartsWith("Postgres", name, StringComparison.Ordinal));

        var internals = types.Where(static t => !t.IsPublic).Select(static t => t.Name).ToList();
        Assert.NotEmpty(internals);
        Assert.All(internals, static name => Assert.True(
            name.StartsWith("Pg", StringComparison.Ordinal) || name.StartsWith("Postgres", StringComparison.Ordinal) || !name.Contains("Postgre", StringComparison.OrdinalIgnoreCase),
            $"{name}: internal types of the backend say Pg"));
        Assert.DoesNotContain(types, static t => t.Name.Contains("PostgreSql", StringComparison.Ordinal));
    }
}
