using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace NativeAotPersistence.Tests.Architecture;

/// <summary>
/// The backend kit (namespace <c>NativeAotPersistence.Backends</c>) is the one way other assemblies build on the
/// core's rules: no shipping package reaches the core's internals (a third party could not), and the kit stays out of
/// users' IntelliSense.
/// </summary>
public sealed class BackendKitTests
{
    private const string KitNamespace = "NativeAotPersistence.Backends";

    private static readonly Assembly Core = typeof(IPersistenceAdapter).Assembly;

    [Fact]
    public void TheCoreGrantsItsInternals_OnlyToTestsBenchmarksAndTheTestHost()
    {
        var friends = Core.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(static a => a.AssemblyName.Split(',')[0].Trim())
            .ToList();

        // This very assembly is one of them; nothing that ships may be.
        Assert.Contains(typeof(BackendKitTests).Assembly.GetName().Name, friends);
        Assert.All(friends, static name => Assert.True(
            name.EndsWith(".Tests", StringComparison.Ordinal) || name.EndsWith(".Benchmarks", StringComparison.Ordinal) || name.EndsWith(".TestHost", StringComparison.Ordinal),
            $"The core grants InternalsVisibleTo to '{name}', which is not a test, benchmark or test-host assembly: shipping packages build on the public backend kit ({KitNamespace})."));
        Assert.DoesNotContain(typeof(PostgresAdapter).Assembly.GetName().Name, friends);
        Assert.DoesNotContain(typeof(PersistentBrokenCircuitException).Assembly.GetName().Name, friends);
    }

    [Fact]
    public void EveryPublicKitType_IsHiddenFromIntelliSense()
    {
        var kit = Core.GetExportedTypes().Where(static t => t.Namespace == KitNamespace).ToList();
        Assert.NotEmpty(kit);
        Assert.All(kit, static t => Assert.True(
            t.GetCustomAttribute<EditorBrowsableAttribute>(inherit: false)?.State == EditorBrowsableState.Never,
            $"{t.FullName} is public in the backend kit but not [EditorBrowsable(EditorBrowsableState.Never)]."));
    }
}
